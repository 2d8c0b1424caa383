package mempool

import (
	"container/heap"
)

// planEviction picks pool txs to evict so that `need` more bytes fit, lowest
// fee rate first. Evicting a tx takes its sender's later txs with it, since
// they could no longer execute. It fails with ErrPoolFull if the newcomer e
// would itself be evicted: its rate is no better than the cheapest
// incumbent's, or it sits behind a tx that has to go. old (a tx e replaces)
// and dropped (txs e makes unaffordable) are leaving anyway and are skipped.
// It only plans; the caller removes the returned entries.
func (p *Pool) planEviction(e, old *entry, dropped []*entry, need int) ([]*entry, error) {
	leaving := make(map[*entry]bool, len(dropped)+1)
	if old != nil {
		leaving[old] = true
	}
	for _, d := range dropped {
		leaving[d] = true
	}
	// Pop in rate order, then restore the heap whatever the outcome.
	var popped []*entry
	defer func() {
		for _, x := range popped {
			heap.Push(&p.evict, x)
		}
	}()
	var plan []*entry
	freed := 0
	for freed < need {
		if p.evict.Len() == 0 {
			return nil, poolErr(ErrPoolFull, "tx of %d bytes does not fit in %d", e.size, p.cfg.MaxBytes)
		}
		m := heap.Pop(&p.evict).(*entry)
		popped = append(popped, m)
		if leaving[m] {
			continue
		}
		if !rateLess(m, e) {
			return nil, poolErr(ErrPoolFull, "fee rate %d/%d bytes is not above the pool's cheapest", e.tx.Fee, e.size)
		}
		if m.sender == e.sender && m.nonce() < e.nonce() {
			return nil, poolErr(ErrPoolFull, "an earlier tx of the sender would be evicted")
		}
		l := p.senders[m.sender]
		i, _ := l.find(m.nonce())
		for _, x := range l.txs[i:] {
			if !leaving[x] {
				leaving[x] = true
				plan = append(plan, x)
				freed += x.size
			}
		}
	}
	return plan, nil
}

// Expire drops txs older than Config.Expiry together with their senders'
// later txs (which could not execute without them) and returns how many txs
// it removed in all.
func (p *Pool) Expire() int {
	cutoff := p.cfg.Now().Add(-p.cfg.Expiry)
	p.mu.Lock()
	defer p.mu.Unlock()
	var old []*entry
	for _, e := range p.all {
		if e.added.Before(cutoff) {
			old = append(old, e)
		}
	}
	n := 0
	for _, e := range old {
		n += p.removeWithTailLocked(e) // zero if an earlier expiry took it already
	}
	p.stats.expired += uint64(n)
	if n > 0 {
		p.log.Debug("expired txs", "count", n, "remaining", len(p.all))
	}
	return n
}
