package chain

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// nodeSlab is how many index nodes are allocated together at load: one
// object per slab instead of per header keeps the garbage collector's work
// and the allocator's overhead small on long chains.
const nodeSlab = 1 << 16

// loadIndex rebuilds the in-memory header index from the stored entries.
// It is written for long chains: no per-entry hashing (the key is the
// hash; VerifyBlocks re-hashes recent blocks) or allocation, a counting
// sort by height, then one pass in height order to link parents and sum
// work.
func (c *Chain) loadIndex() error {
	var (
		slabs [][]node
		cur   []node
		prevs []consensus.Hash
		h     consensus.Header
	)
	it := c.db.NewIterator(util.BytesPrefix([]byte{pfxIndex}), &opt.ReadOptions{DontFillCache: true})
	for it.Next() {
		k := it.Key()
		if len(k) != 1+consensus.HashSize {
			it.Release()
			return fmt.Errorf("%w: index key is %d bytes", ErrCorrupt, len(k))
		}
		height, status, err := decodeIndexEntry(it.Value(), &h)
		if err != nil {
			it.Release()
			return err
		}
		if len(cur) == cap(cur) {
			cur = make([]node, 0, nodeSlab)
			slabs = append(slabs, cur)
		}
		cur = append(cur, node{hdr: compact(&h), height: height, status: status})
		slabs[len(slabs)-1] = cur
		copy(cur[len(cur)-1].hash[:], k[1:])
		prevs = append(prevs, h.PrevHash)
	}
	it.Release()
	if err := it.Error(); err != nil {
		return fmt.Errorf("%w: scan index: %v", ErrCorrupt, err)
	}
	total := len(prevs)
	at := func(i int) *node { return &slabs[i/nodeSlab][i%nodeSlab] }

	// Counting sort by height. Every height up to the highest has at least
	// one block, so a height at or above the entry count means corruption.
	counts := make([]int32, total+1)
	for i := range total {
		hh := at(i).height
		if hh >= uint64(total) {
			return fmt.Errorf("%w: index entry at height %d with %d entries", ErrCorrupt, hh, total)
		}
		counts[hh+1]++
	}
	for i := 1; i <= total; i++ {
		counts[i] += counts[i-1]
	}
	order := make([]int32, total)
	for i := range total {
		hh := at(i).height
		order[counts[hh]] = int32(i)
		counts[hh]++
	}
	counts = nil

	c.index = make(map[consensus.Hash]*node, total)
	var lastBits uint32
	var lastWork *uint256.Int
	for seq, i := range order {
		n := at(int(i))
		if n.hdr.Bits != lastBits || lastWork == nil {
			lastBits, lastWork = n.hdr.Bits, consensus.WorkForBits(n.hdr.Bits)
		}
		n.work.Set(lastWork)
		if n.height > 0 {
			parent := c.index[prevs[i]]
			if parent == nil || parent.height+1 != n.height {
				return fmt.Errorf("%w: block at height %d has no parent in the index", ErrCorrupt, n.height)
			}
			n.parent = parent
			n.work.Add(&n.work, &parent.work)
			// markInvalid flags descendants one Put at a time, so a crash can
			// leave some unflagged: restore the invariant here.
			if parent.invalid() && !n.invalid() {
				n.status |= statusInvalidAncestor
				c.putIndex(n)
			}
			// A body is only stored once the parent's is (see node).
			if n.haveData() && !parent.haveData() {
				return fmt.Errorf("%w: block %s has its body but its parent does not", ErrCorrupt, n.hash)
			}
		} else if n.hash != c.params.GenesisHash {
			return fmt.Errorf("%w: second block at height 0", ErrCorrupt)
		}
		n.seq = uint64(seq) + 1
		c.index[n.hash] = n
	}
	c.seq = uint64(total) + 1
	if total > 100_000 {
		// The decode pass left garbage the size of the index: give it back
		// now rather than carry it as RSS.
		prevs, order = nil, nil
		debug.FreeOSMemory()
	}
	return nil
}

// addNode inserts a new node into the index with the next arrival number.
func (c *Chain) addNode(n *node) {
	n.seq = c.seq
	c.seq++
	c.index[n.hash] = n
	if c.best == nil || (!n.invalid() && better(n, c.best)) {
		c.best = n
	}
}

// setTip moves the tip and the main-chain view to n.
func (c *Chain) setTip(n *node) {
	c.tip = n
	c.view.setTip(n)
	bi := c.info(n)
	c.tipInfo.Store(&bi)
}

// onMain reports whether n is on the main chain, in O(1).
func (c *Chain) onMain(n *node) bool { return c.view.contains(n) }

// recomputeBest rescans the index for the most-work valid header, after
// invalidation or reconsideration changed which nodes count.
func (c *Chain) recomputeBest() {
	c.best = c.tip
	for _, n := range c.index {
		if !n.invalid() && better(n, c.best) {
			c.best = n
		}
	}
}

// descendants returns every indexed descendant of n. The index keeps no
// child pointers (they would cost memory on every header), so this builds
// them for the heights above n: invalidation and reconsideration are rare.
func (c *Chain) descendants(n *node) []*node {
	var above []*node
	for _, x := range c.index {
		if x.height > n.height {
			above = append(above, x)
		}
	}
	slices.SortFunc(above, func(a, b *node) int { return cmp.Compare(a.height, b.height) })
	in := map[*node]bool{n: true}
	var out []*node
	for _, x := range above {
		if in[x.parent] {
			in[x] = true
			out = append(out, x)
		}
	}
	return out
}
