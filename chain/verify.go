package chain

import (
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
)

// VerifyBlocks re-checks the last n main-chain blocks at startup (bitcoind's
// -checkblocks): every block must decode and pass stage 1 and 2 again, its
// undo data must exist, and rolling state back through the undo records and
// forward again with the consensus rules must reproduce the stored accounts.
func (c *Chain) VerifyBlocks(n int) error {
	if n <= 0 {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var path []*node
	for it := c.tip; it.parent != nil && len(path) < n; it = it.parent {
		path = append(path, it)
	}
	blocks := make([]*consensus.Block, len(path))
	undos := make([][]undoEntry, len(path))
	st := consensus.Accounts{}
	// Walk back from the tip: check each block and undo its effects in memory.
	for i, nd := range path {
		b, err := c.readBlock(nd.hash)
		if err != nil {
			return fmt.Errorf("verify height %d: %w", nd.height, err)
		}
		if b.Hash() != nd.hash {
			return fmt.Errorf("%w: block at height %d hashes to %s, indexed as %s", ErrCorrupt, nd.height, b.Hash(), nd.hash)
		}
		if err := consensus.CheckBlockSanityBatch(b, c.params, c.cfg.Verifier, nil); err != nil {
			return fmt.Errorf("%w: block at height %d: %v", ErrCorrupt, nd.height, err)
		}
		if err := consensus.CheckBlockContext(b, nd.height); err != nil {
			return fmt.Errorf("%w: block at height %d: %v", ErrCorrupt, nd.height, err)
		}
		raw, err := c.db.Get(hashKey(pfxUndo, nd.hash), nil)
		if err != nil {
			return fmt.Errorf("%w: no undo data for height %d", ErrCorrupt, nd.height)
		}
		u, err := decodeUndo(raw)
		if err != nil {
			return err
		}
		blocks[i], undos[i] = b, u
		touched := consensus.TouchedAddresses(b)
		if err := c.fill(st, touched); err != nil {
			return err
		}
		for _, e := range u {
			st[e.addr] = e.prev
		}
	}
	// Replay forward and compare with the stored state.
	for i := len(path) - 1; i >= 0; i-- {
		if _, err := consensus.ApplyBlock(st, blocks[i], path[i].height, c.params); err != nil {
			return fmt.Errorf("%w: replaying height %d: %v", ErrCorrupt, path[i].height, err)
		}
	}
	for a, want := range st {
		got, err := c.Account(a)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%w: account %x is %+v, replay gives %+v", ErrCorrupt, a, got, want)
		}
	}
	c.log.Info("verified blocks", "count", len(path), "tip_height", c.tip.height)
	return nil
}

// fill loads into st the stored value of any address not yet in it.
func (c *Chain) fill(st consensus.Accounts, addrs []consensus.Address) error {
	for _, a := range addrs {
		if _, ok := st[a]; ok {
			continue
		}
		v, err := c.Account(a)
		if err != nil {
			return err
		}
		st[a] = v
	}
	return nil
}
