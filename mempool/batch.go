package mempool

import (
	"github.com/cairn-chain/cairn/consensus"
)

// batchRetries bounds the batches one AddBatch runs: each failed batch
// finds its lowest bad signature and the rest is batched again; after this
// many failures the remaining txs are verified one by one by Add's path,
// so a batch full of bad signatures costs no more than that.
const batchRetries = 3

// AddBatch adds txs in order and returns, for each, exactly the id and
// error Add would have returned had it been called on each in turn (nil
// entries get Add's nil-tx error). The difference is cost: the signatures
// of the txs that pass the cheap checks (stateless rules, already known or
// recently rejected, the sender's nonce) are verified first as one batch,
// and each tx then goes through Add's own path with its signature known
// good. A tx the batch finds bad is verified again one by one there, so its
// error is the one Add gives.
func (p *Pool) AddBatch(txs []*consensus.Tx) ([]consensus.Hash, []error) {
	ids := make([]consensus.Hash, len(txs))
	errs := make([]error, len(txs))
	entries := make([]*entry, len(txs))
	prepErrs := make([]error, len(txs))
	for i, tx := range txs {
		if tx == nil {
			continue
		}
		entries[i], prepErrs[i] = p.prepare(tx)
		ids[i] = entries[i].id
	}
	sigOK := p.batchVerify(entries, prepErrs)
	for i, e := range entries {
		if e == nil {
			errs[i] = errNilTx
			continue
		}
		errs[i] = p.addPrepared(e, prepErrs[i], sigOK[i])
	}
	return ids, errs
}

// batchVerify picks the entries worth verifying (see AddBatch), verifies
// them as one batch and returns which ones have good signatures. It only
// reads the pool: counting and refusing is left to Add's path.
func (p *Pool) batchVerify(entries []*entry, prepErrs []error) []bool {
	ok := make([]bool, len(entries))
	var picked []int
	seen := make(map[consensus.Hash]bool, len(entries))
	accts := make(map[consensus.Address]consensus.Account)
	for i, e := range entries {
		if e == nil || prepErrs[i] != nil || seen[e.id] {
			continue
		}
		seen[e.id] = true
		if p.cfg.SigCache.Has(e.id) {
			continue // Add's path counts the hit
		}
		acct, have := accts[e.sender]
		if !have {
			var err error
			if _, acct, err = p.readState(e.sender); err != nil {
				continue
			}
			accts[e.sender] = acct
		}
		p.mu.RLock()
		_, known := p.all[e.id]
		_, rejected := p.rejects.get(e.id)
		verified := p.verified.has(e.id)
		stale := e.nonce() < acct.Nonce
		p.mu.RUnlock()
		// Only refusals no earlier tx of the batch can change keep a tx
		// out: anything else may pass once its predecessors are in.
		if known || rejected || verified || stale {
			continue
		}
		picked = append(picked, i)
	}
	if len(picked) < 2 {
		return ok // nothing to gain: Add's path verifies it alone
	}
	in := make([]consensus.SchnorrInput, len(picked))
	for k, i := range picked {
		tx := entries[i].tx
		h := tx.SigHash()
		in[k] = consensus.SchnorrInput{PubKey: tx.PubKey, Msg: h[:], Sig: tx.Sig}
	}
	start := 0
	for round := 0; start < len(in) && round < batchRetries; round++ {
		p.sigChecks.Add(uint64(len(in) - start))
		p.sigBatched.Add(uint64(len(in) - start))
		p.sigBatches.Add(1)
		bad := p.cfg.Verifier.Verify(in[start:])
		end := len(in)
		if bad >= 0 {
			end = start + bad
		}
		for k := start; k < end; k++ {
			i := picked[k]
			ok[i] = true
			p.cfg.SigCache.Add(entries[i].id)
		}
		if bad < 0 {
			break
		}
		start = end + 1
	}
	return ok
}
