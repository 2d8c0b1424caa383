package chain

import (
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// node is one block in the in-memory header index. Every indexed block has
// its body stored: blocks whose parent is unknown wait in the orphan pool.
type node struct {
	hash     consensus.Hash
	header   consensus.Header
	height   uint64
	work     *uint256.Int // cumulative chain work up to and including this block
	parent   *node
	children []*node
	status   uint8
	// connectErr is why the block failed to connect, if it did since the
	// chain was opened (in memory only; the status bit is what persists).
	connectErr error
}

func (n *node) invalid() bool { return n.status&(statusInvalid|statusInvalidAncestor) != 0 }

// ancestor returns n's ancestor at height h (or nil).
func (n *node) ancestor(h uint64) *node {
	for n != nil && n.height > h {
		n = n.parent
	}
	if n == nil || n.height != h {
		return nil
	}
	return n
}

// medianTimePast is the median timestamp of n and up to 10 ancestors.
func (n *node) medianTimePast() int64 {
	ts := make([]int64, 0, consensus.MedianTimeBlocks)
	for it := n; it != nil && len(ts) < consensus.MedianTimeBlocks; it = it.parent {
		ts = append(ts, it.header.Timestamp)
	}
	return consensus.MedianTime(ts)
}

func (n *node) parentInfo() consensus.ParentInfo {
	return consensus.ParentInfo{Height: n.height, Timestamp: n.header.Timestamp, MedianTimePast: n.medianTimePast()}
}

func newNode(h *consensus.Header, parent *node) *node {
	n := &node{hash: h.Hash(), header: *h, parent: parent}
	w := consensus.WorkForBits(h.Bits)
	if parent != nil {
		n.height = parent.height + 1
		w.Add(w, parent.work)
		parent.children = append(parent.children, n)
	}
	n.work = w
	return n
}

// fork returns the last common ancestor of a and b.
func fork(a, b *node) *node {
	for a != nil && b != nil && a != b {
		switch {
		case a.height > b.height:
			a = a.parent
		case b.height > a.height:
			b = b.parent
		default:
			a, b = a.parent, b.parent
		}
	}
	if a == nil || b == nil {
		return nil
	}
	return a
}

// better reports whether a should replace b as the tip. Only strictly more
// work wins: on a tie the first-seen branch stays, as in Bitcoin, so a node
// never flaps between equal branches.
func better(a, b *node) bool { return a.work.Cmp(b.work) > 0 }
