package chain

import "github.com/cairn-chain/cairn/consensus"

// PreverifyStats says what one Preverify call did.
type PreverifyStats struct {
	Verified int // signatures verified good and added to the cache
	Cached   int // signatures the cache already held
	Failed   int // blocks left out: the first with a bad signature and all after it
}

// Preverify verifies the signatures of blocks that are about to be
// processed (a sync window, in height order) as one batch, and records the
// good ones in the signature cache, so ProcessBlock then finds them cached
// and only connects. It decides nothing: a block whose signatures fail is
// left out of the cache, and ProcessBlock verifies it again and returns the
// same rule error it always would. Without a signature cache it does
// nothing. Safe to call concurrently with ProcessBlock.
func (c *Chain) Preverify(blocks []*consensus.Block) PreverifyStats {
	var st PreverifyStats
	cache := c.cfg.SigCache
	if cache == nil || len(blocks) == 0 {
		return st
	}
	type part struct {
		txs []*consensus.Tx
		ids []consensus.Hash
	}
	parts := make([]part, 0, len(blocks))
	total := 0
	for _, b := range blocks {
		var p part
		if len(b.Txs) > 1 {
			p.txs = make([]*consensus.Tx, 0, len(b.Txs)-1)
			p.ids = make([]consensus.Hash, 0, len(b.Txs)-1)
			for _, tx := range b.Txs[1:] {
				id := tx.ID()
				if cache.Has(id) {
					st.Cached++
					continue
				}
				p.txs = append(p.txs, tx)
				p.ids = append(p.ids, id)
			}
		}
		total += len(p.txs)
		parts = append(parts, p)
	}
	if total == 0 {
		return st
	}
	all := make([]*consensus.Tx, 0, total)
	for _, p := range parts {
		all = append(all, p.txs...)
	}
	if c.cfg.Verifier.VerifyTxs(all) == nil {
		for _, p := range parts {
			for _, id := range p.ids {
				cache.Add(id)
			}
		}
		st.Verified = total
		return st
	}
	// Some block is bad. Blocks are processed in order and the first bad
	// one stops the rest, so verify block by block up to it: the blocks
	// before it still connect from the cache.
	for i, p := range parts {
		if c.cfg.Verifier.VerifyTxs(p.txs) != nil {
			st.Failed = len(parts) - i
			return st
		}
		for _, id := range p.ids {
			cache.Add(id)
		}
		st.Verified += len(p.ids)
	}
	return st
}
