package chain

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// loadIndex rebuilds the in-memory header index from the stored entries.
// It is written for long chains: no per-entry hashing (the key is the
// hash; VerifyBlocks re-hashes recent blocks), one pass to decode and one
// in height order to link parents and sum work.
func (c *Chain) loadIndex() error {
	type loaded struct {
		n    *node
		prev consensus.Hash
	}
	var all []loaded
	it := c.db.NewIterator(util.BytesPrefix([]byte{pfxIndex}), nil)
	for it.Next() {
		k := it.Key()
		if len(k) != 1+consensus.HashSize {
			it.Release()
			return fmt.Errorf("%w: index key is %d bytes", ErrCorrupt, len(k))
		}
		h, height, status, err := decodeIndexEntry(it.Value())
		if err != nil {
			it.Release()
			return err
		}
		n := &node{hdr: compact(h), height: height, status: status}
		copy(n.hash[:], k[1:])
		all = append(all, loaded{n, h.PrevHash})
	}
	it.Release()
	if err := it.Error(); err != nil {
		return fmt.Errorf("%w: scan index: %v", ErrCorrupt, err)
	}
	slices.SortStableFunc(all, func(a, b loaded) int { return cmp.Compare(a.n.height, b.n.height) })
	c.index = make(map[consensus.Hash]*node, len(all))
	var lastBits uint32
	var lastWork *uint256.Int
	for i, e := range all {
		n := e.n
		if n.hdr.Bits != lastBits || lastWork == nil {
			lastBits, lastWork = n.hdr.Bits, consensus.WorkForBits(n.hdr.Bits)
		}
		n.work.Set(lastWork)
		if n.height > 0 {
			parent := c.index[e.prev]
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
		n.seq = uint64(i) + 1
		c.index[n.hash] = n
	}
	c.seq = uint64(len(all)) + 1
	if len(all) > 100_000 {
		// The decode pass left garbage the size of the index: give it back
		// now rather than carry it as RSS.
		all = nil
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
