package chain

import (
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// node is one block in the in-memory header index. A node may be
// header-only (stored by ProcessHeaders, body not yet downloaded); a node
// with its body stored always has every ancestor's body stored too, because
// a block whose parent lacks its body waits in the orphan pool.
//
// The index holds every header of the chain, so a node is kept small: the
// parent's hash is not repeated (it is parent.hash) and the rare connect
// error lives in Chain.connectErrs.
type node struct {
	hash   consensus.Hash
	hdr    compactHeader
	height uint64
	work   uint256.Int // cumulative chain work up to and including this block
	parent *node
	// seq is the order in which this node entered the index: among branches
	// of equal work the first seen wins, whatever happens later.
	seq    uint64
	status uint8
}

// compactHeader is a header without its parent hash.
type compactHeader struct {
	Version    uint32
	Bits       uint32
	MerkleRoot consensus.Hash
	Timestamp  int64
	Nonce      uint64
	Miner      consensus.Address
}

func compact(h *consensus.Header) compactHeader {
	return compactHeader{Version: h.Version, Bits: h.Bits, MerkleRoot: h.MerkleRoot, Timestamp: h.Timestamp, Nonce: h.Nonce, Miner: h.Miner}
}

// header rebuilds the full header.
func (n *node) header() consensus.Header {
	h := consensus.Header{Version: n.hdr.Version, MerkleRoot: n.hdr.MerkleRoot, Timestamp: n.hdr.Timestamp,
		Bits: n.hdr.Bits, Nonce: n.hdr.Nonce, Miner: n.hdr.Miner}
	if n.parent != nil {
		h.PrevHash = n.parent.hash
	}
	return h
}

func (n *node) invalid() bool { return n.status&(statusInvalid|statusInvalidAncestor) != 0 }

func (n *node) haveData() bool { return n.status&statusHeaderOnly == 0 }

// timestamps returns the timestamps of n and up to 10 ancestors, oldest first.
func (n *node) timestamps() []int64 {
	ts := make([]int64, consensus.MedianTimeBlocks)
	i := len(ts)
	for it := n; it != nil && i > 0; it = it.parent {
		i--
		ts[i] = it.hdr.Timestamp
	}
	return ts[i:]
}

// medianTimePast is the median timestamp of n and up to 10 ancestors.
func (n *node) medianTimePast() int64 { return consensus.MedianTime(n.timestamps()) }

func (n *node) parentInfo() consensus.ParentInfo {
	return consensus.ParentInfo{Height: n.height, Timestamp: n.hdr.Timestamp, MedianTimePast: n.medianTimePast()}
}

// headerState is the pre-sync/validation state positioned at n.
func (n *node) headerState() consensus.HeaderChainState {
	return consensus.NewHeaderChainState(n.hash, n.height, &n.work, n.timestamps())
}

// newNode builds a node for h under parent; hash is h.Hash().
func newNode(h *consensus.Header, hash consensus.Hash, parent *node) *node {
	n := &node{hash: hash, hdr: compact(h), parent: parent}
	n.work.Set(consensus.WorkForBits(h.Bits))
	if parent != nil {
		n.height = parent.height + 1
		n.work.Add(&n.work, &parent.work)
	}
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

// better reports whether a should replace b as the tip: more work wins; on
// equal work the branch seen first wins, as in Bitcoin, so a node never
// flaps between equal branches and returns to the first-seen one after a
// failed reorg or an invalidation, deterministically.
func better(a, b *node) bool {
	if c := a.work.Cmp(&b.work); c != 0 {
		return c > 0
	}
	return a.seq < b.seq
}

// chainView is the main chain indexed by height (btcd's chainView idea):
// O(1) hash-at-height and main-chain membership. It changes only when the
// tip does, under Chain.mu.
type chainView struct {
	nodes []*node // nodes[h] is the main-chain block at height h
}

// setTip makes the view end at n, reusing the common part.
func (v *chainView) setTip(n *node) {
	if n == nil {
		v.nodes = v.nodes[:0]
		return
	}
	need := int(n.height) + 1
	if cap(v.nodes) < need {
		grown := make([]*node, len(v.nodes), need+need/8)
		copy(grown, v.nodes)
		v.nodes = grown
	}
	old := v.nodes
	v.nodes = v.nodes[:need]
	for it := n; it != nil; it = it.parent {
		h := int(it.height)
		if h < len(old) && old[h] == it {
			break // the rest is shared with the old view
		}
		v.nodes[h] = it
	}
}

// at returns the main-chain node at height h, or nil above the tip.
func (v *chainView) at(h uint64) *node {
	if h >= uint64(len(v.nodes)) {
		return nil
	}
	return v.nodes[h]
}

// contains reports whether n is on the main chain.
func (v *chainView) contains(n *node) bool { return n != nil && v.at(n.height) == n }
