package chain

import (
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
)

// MaxHeadersPerCall bounds one ProcessHeaders batch.
const MaxHeadersPerCall = 2000

// ProcessHeaders validates a contiguous run of headers whose first parent is
// indexed (proof of work, ASERT bits, median time, the future bound,
// checkpoints) and stores the new ones as header-only index entries in one
// batch; headers already indexed are checked for linkage and skipped. On any
// error nothing is stored. It returns the last header's info.
//
// The caller decides which branches are worth storing: p2p sync pre-syncs a
// peer's headers in memory and submits them only once the branch carries
// more work than the tip, so cheap forks never reach the database.
func (c *Chain) ProcessHeaders(hs []consensus.Header) (BlockInfo, error) {
	if len(hs) == 0 {
		return BlockInfo{}, fmt.Errorf("chain: no headers")
	}
	if len(hs) > MaxHeadersPerCall {
		return BlockInfo{}, fmt.Errorf("chain: %d headers in one call, max %d", len(hs), MaxHeadersPerCall)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := c.index[hs[0].PrevHash]
	if parent == nil {
		return BlockInfo{}, fmt.Errorf("%w: parent %s of the first header", ErrUnknownBlock, hs[0].PrevHash)
	}
	now := c.cfg.Now().Unix()
	st := parent.headerState()
	var fresh []*node
	last := parent
	for i := range hs {
		h := &hs[i]
		if last.invalid() {
			return BlockInfo{}, consensus.RuleError{Code: consensus.ErrInvalidAncestor,
				Msg: fmt.Sprintf("header %d builds on invalid block %s", i, last.hash)}
		}
		if h.PrevHash != last.hash {
			return BlockInfo{}, consensus.RuleError{Code: consensus.ErrHeaderLink,
				Msg: fmt.Sprintf("header %d does not follow header %d", i, i-1)}
		}
		hash := h.Hash()
		if known := c.index[hash]; known != nil {
			last, st = known, known.headerState()
			continue
		}
		if len(fresh) == 0 {
			if err := c.checkForkPoint(last, hash); err != nil {
				return BlockInfo{}, err
			}
		}
		if err := st.Next(h, c.params, now); err != nil {
			return BlockInfo{}, fmt.Errorf("header %d (%s): %w", i, hash, err)
		}
		n := newNode(h, hash, last)
		n.status = statusHeaderOnly
		fresh = append(fresh, n)
		last = n
	}
	if last.invalid() {
		return BlockInfo{}, c.invalidError(last)
	}
	if len(fresh) > 0 {
		batch := new(leveldb.Batch)
		for _, n := range fresh {
			batch.Put(hashKey(pfxIndex, n.hash), encodeIndexEntry(n))
		}
		if err := c.db.Write(batch, c.wo); err != nil {
			return BlockInfo{}, fmt.Errorf("store headers: %w", err)
		}
		for _, n := range fresh {
			c.addNode(n)
		}
	}
	return c.info(last), nil
}

// HeaderState returns the header-validation state at an indexed block, the
// starting point for pre-syncing a peer's branch from it.
func (c *Chain) HeaderState(h consensus.Hash) (consensus.HeaderChainState, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return consensus.HeaderChainState{}, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	return n.headerState(), nil
}

// HaveHeader reports whether h is in the header index (with or without its
// body).
func (c *Chain) HaveHeader(h consensus.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.index[h]
	return ok
}

// BestHeader returns the most-work header not known invalid; it is ahead
// of the tip while header sync has headers whose bodies are still coming.
func (c *Chain) BestHeader() BlockInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.info(c.best)
}
