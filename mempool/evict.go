package mempool

import (
	"container/heap"
)

// need is what has to be freed before a tx fits: pool bytes and, for a
// queued tx, queued bytes and queued slots.
type need struct {
	bytes, queuedBytes, queuedCount int
}

func (n need) any() bool    { return n.bytes > 0 || n.queued() }
func (n need) queued() bool { return n.queuedBytes > 0 || n.queuedCount > 0 }

func (n *need) free(x *entry) {
	n.bytes -= x.size
	if x.queued {
		n.queuedBytes -= x.size
		n.queuedCount--
	}
}

// capacityNeed is what adding e (with plan) needs freed beyond the txs that
// plan already removes.
func (p *Pool) capacityNeed(e *entry, plan addPlan) need {
	n := need{bytes: p.bytes + e.size - p.cfg.MaxBytes}
	if plan.queued {
		n.queuedBytes = p.queuedBytes + e.size - p.cfg.MaxQueuedBytes
		n.queuedCount = p.queuedCount + 1 - p.cfg.MaxQueued
	}
	if plan.old != nil {
		n.free(plan.old)
	}
	for _, d := range plan.dropped {
		n.free(d)
	}
	return n
}

// planEviction picks pool txs to evict so that e fits; evicting a tx takes
// its sender's later txs with it, since they could no longer execute.
//
// Queued (gapped) txs go first, lowest fee rate first. For an executable e
// they go whatever their rate: a tx that can be mined now outranks one that
// waits for a gap to be filled, so gapped txs can never make the pool refuse
// an executable one. Only then, and only for an executable e, pending txs go,
// lowest rate first and only while their rate is below e's. A queued e may
// only evict queued txs paying a lower rate than it does.
//
// It fails with ErrQueueFull if a queued e does not fit the queued caps,
// and with ErrPoolFull if e does not fit the pool: it would itself be the
// first to go, or it sits behind a tx that has to go. old (a tx e replaces)
// and dropped (txs e makes unaffordable) are leaving anyway and are skipped.
// It only plans; the caller removes the returned entries.
func (p *Pool) planEviction(e *entry, plan addPlan, n need) ([]*entry, error) {
	leaving := make(map[*entry]bool, len(plan.dropped)+1)
	if plan.old != nil {
		leaving[plan.old] = true
	}
	for _, d := range plan.dropped {
		leaving[d] = true
	}
	// Pop in rate order, then restore the heaps whatever the outcome.
	var popped []*entry
	defer func() {
		for _, x := range popped {
			heap.Push(p.heapOf(x), x)
		}
	}()
	var out []*entry
	take := func(m *entry) {
		l := p.senders[m.sender]
		i, _ := l.find(m.nonce())
		for _, x := range l.txs[i:] {
			if !leaving[x] {
				leaving[x] = true
				out = append(out, x)
				n.free(x)
			}
		}
	}
	full := func(why string) error {
		if n.queued() {
			return poolErr(ErrQueueFull, "gapped tx of fee rate %d/%d bytes: %s (queued %d txs, %d bytes; max %d, %d)",
				e.tx.Fee, e.size, why, p.queuedCount, p.queuedBytes, p.cfg.MaxQueued, p.cfg.MaxQueuedBytes)
		}
		return poolErr(ErrPoolFull, "tx of fee rate %d/%d bytes: %s (pool %d bytes, max %d)",
			e.tx.Fee, e.size, why, p.bytes, p.cfg.MaxBytes)
	}
	for n.any() && p.queuedHeap.Len() > 0 {
		m := heap.Pop(&p.queuedHeap).(*entry)
		popped = append(popped, m)
		if leaving[m] {
			continue
		}
		if plan.queued {
			if !rateLess(m, e) {
				return nil, full("fee rate not above the cheapest gapped tx")
			}
			if m.sender == e.sender && m.nonce() < e.nonce() {
				return nil, full("an earlier tx of the sender would be evicted")
			}
		}
		take(m)
	}
	if n.queued() {
		return nil, full("no cheaper gapped tx to evict")
	}
	if n.bytes > 0 && plan.queued {
		return nil, full("gapped txs never evict executable ones")
	}
	for n.bytes > 0 {
		if p.pendingHeap.Len() == 0 {
			return nil, full("does not fit")
		}
		m := heap.Pop(&p.pendingHeap).(*entry)
		popped = append(popped, m)
		if leaving[m] {
			continue
		}
		if !rateLess(m, e) {
			return nil, full("fee rate not above the pool's cheapest")
		}
		if m.sender == e.sender && m.nonce() < e.nonce() {
			return nil, full("an earlier tx of the sender would be evicted")
		}
		take(m)
	}
	return out, nil
}

// trimQueueLocked evicts the lowest-rate queued txs (with their tails, all
// queued) until the queued caps hold again. Only a state that moved back (a
// reorg) turns pending txs into queued ones beyond the caps. It returns how
// many txs it removed.
func (p *Pool) trimQueueLocked() int {
	removed := 0
	for p.queuedHeap.Len() > 0 && (p.queuedBytes > p.cfg.MaxQueuedBytes || p.queuedCount > p.cfg.MaxQueued) {
		m := p.queuedHeap[0]
		if n := p.removeWithTailLocked(m); n > 0 {
			removed += n
			continue
		}
		p.removeLocked(m) // not reachable through its sender list; drop it anyway
		removed++
	}
	p.stats.evicted += uint64(removed)
	return removed
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
