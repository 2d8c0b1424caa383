package mempool

import (
	"github.com/cairn-chain/cairn/consensus"
)

// BlockConnected removes b's txs from the pool and re-checks the remaining
// txs of every sender b touched against the StateReader. The reader may
// already be past b; that is fine, since only the reader's state is used.
func (p *Pool) BlockConnected(b *consensus.Block) {
	if b == nil || len(b.Txs) < 2 {
		p.mu.Lock()
		p.newTipLocked()
		p.mu.Unlock()
		return
	}
	// Hash outside the lock; blocks hold thousands of txs.
	txs := b.Txs[1:]
	ids := make([]consensus.Hash, len(txs))
	senders := make(map[consensus.Address]struct{}, len(txs))
	for i, tx := range txs {
		ids[i] = tx.ID()
		if tx.Kind == consensus.TxTransfer {
			senders[tx.Sender()] = struct{}{}
		}
	}
	p.mu.Lock()
	p.newTipLocked()
	included := 0
	for _, id := range ids {
		if e, ok := p.all[id]; ok {
			p.removeLocked(e)
			included++
			// The pool checked its signature; a reorg may bring it back.
			p.verified.add(id)
		}
	}
	p.stats.included += uint64(included)
	list := make([]consensus.Address, 0, len(senders))
	for s := range senders {
		if _, ok := p.senders[s]; ok {
			list = append(list, s)
		}
	}
	p.mu.Unlock()

	dropped := p.revalidate(list)
	p.log.Debug("block connected", "block", b.Hash(), "included", included, "invalidated", dropped)
}

// BlockDisconnected puts b's transfers back into the pool and re-checks every
// pool tx against the StateReader, which already shows the chain's final tip
// (a reorg's new branch may have spent what the old one did). Re-added txs go
// through the same rules as Add, minus OnAccept; signatures are re-verified
// unless the pool itself verified the id before the block took it.
func (p *Pool) BlockDisconnected(b *consensus.Block) {
	p.mu.Lock()
	p.newTipLocked()
	p.mu.Unlock()
	var back []*entry
	if b != nil && len(b.Txs) > 1 {
		for _, tx := range b.Txs[1:] {
			e, err := p.prepare(tx)
			if err != nil {
				p.log.Debug("not re-adding tx of disconnected block", "err", err)
				continue
			}
			back = append(back, e)
		}
	}
	// Verify outside the lock; the verified set is read under it.
	p.mu.RLock()
	unknown := make([]bool, len(back))
	for i, e := range back {
		unknown[i] = !p.verified.has(e.id)
	}
	p.mu.RUnlock()
	kept := back[:0]
	for i, e := range back {
		if unknown[i] {
			p.sigChecks.Add(1)
			if err := e.tx.VerifySignature(); err != nil {
				p.log.Warn("disconnected block carries a bad signature", "tx", e.id, "err", err)
				continue
			}
		}
		kept = append(kept, e)
	}
	back = kept

	p.mu.RLock()
	addrs := make(map[consensus.Address]struct{}, len(p.senders)+len(back))
	for s := range p.senders {
		addrs[s] = struct{}{}
	}
	p.mu.RUnlock()
	for _, e := range back {
		addrs[e.sender] = struct{}{}
	}
	accts := p.readAccounts(addrs)

	p.mu.Lock()
	p.newTipLocked()
	for s, a := range accts {
		p.syncSenderLocked(s, a)
	}
	readded := 0
	for _, e := range back {
		a, ok := accts[e.sender]
		if !ok {
			continue // state unreadable; logged by readAccounts
		}
		if err := p.addLocked(e, a); err != nil {
			p.log.Debug("tx of disconnected block not re-added", "tx", e.id, "err", err)
			continue
		}
		readded++
	}
	p.stats.reinjected += uint64(readded)
	// Re-added txs fill the gaps the rewind opened; what is still gapped
	// beyond the queued caps goes now.
	trimmed := p.trimQueueLocked()
	p.mu.Unlock()
	p.log.Debug("block disconnected", "re-added", readded, "of", len(back), "queue trimmed", trimmed)
}

// revalidate re-reads the given senders' state and drops their txs that it
// invalidates. It returns how many txs it dropped.
func (p *Pool) revalidate(senders []consensus.Address) int {
	if len(senders) == 0 {
		return 0
	}
	set := make(map[consensus.Address]struct{}, len(senders))
	for _, s := range senders {
		set[s] = struct{}{}
	}
	accts := p.readAccounts(set)
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.stats.invalidated
	for s, a := range accts {
		p.syncSenderLocked(s, a)
	}
	p.trimQueueLocked() // only a reader that moved back can demote txs
	return int(p.stats.invalidated - before)
}

// newTipLocked records a block notification: Add re-reads state it read
// before this point, and refusals decided on the old tip are forgotten.
func (p *Pool) newTipLocked() {
	p.gen.Add(1)
	p.rejects.reset()
}

// readAccounts reads state without holding the pool lock. Unreadable
// accounts are left out (and their txs left alone) rather than guessed.
func (p *Pool) readAccounts(addrs map[consensus.Address]struct{}) map[consensus.Address]consensus.Account {
	out := make(map[consensus.Address]consensus.Account, len(addrs))
	for a := range addrs {
		acct, err := p.cfg.State.Account(a)
		if err != nil {
			p.log.Warn("cannot read account state", "addr", a, "err", err)
			continue
		}
		out[a] = acct
	}
	return out
}
