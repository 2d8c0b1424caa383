package mempool

import (
	"container/heap"
	"slices"

	"github.com/cairn-chain/cairn/consensus"
)

// Every pool tx sits in exactly one of two eviction heaps, by its queued
// flag, and the queued ones are counted in queuedBytes/queuedCount. The flag
// is decided against the sender's last fresh state read (insertLocked and
// syncSenderLocked reclassify the whole list); removals from a list's tail
// leave the rest of the list as it was, and BlockConnected's removal of
// mined txs keeps the remaining ones' flags until revalidate reads the new
// state (they still continue the run, now from a higher nonce).

// insertLocked stores e; its nonce must be free in the sender's list.
func (p *Pool) insertLocked(e *entry, acct consensus.Account) {
	l := p.senders[e.sender]
	if l == nil {
		l = &senderList{}
		p.senders[e.sender] = l
	}
	l.acct = acct
	i, _ := l.find(e.nonce())
	l.txs = slices.Insert(l.txs, i, e)
	p.seq++
	e.seq = p.seq
	e.added = p.cfg.Now()
	p.all[e.id] = e
	to := p.byTo[e.tx.To]
	if to == nil {
		to = make(map[consensus.Hash]*entry)
		p.byTo[e.tx.To] = to
	}
	to[e.id] = e
	p.bytes += e.size
	p.classifyLocked(l)
}

// removeLocked deletes e alone; callers decide about its sender's later txs.
func (p *Pool) removeLocked(e *entry) {
	if _, ok := p.all[e.id]; !ok {
		return
	}
	delete(p.all, e.id)
	if l := p.senders[e.sender]; l != nil {
		if i, ok := l.find(e.nonce()); ok && l.txs[i] == e {
			l.txs = slices.Delete(l.txs, i, i+1)
		}
		if len(l.txs) == 0 {
			delete(p.senders, e.sender)
		}
	}
	if to := p.byTo[e.tx.To]; to != nil {
		delete(to, e.id)
		if len(to) == 0 {
			delete(p.byTo, e.tx.To)
		}
	}
	if e.heapIdx >= 0 {
		heap.Remove(p.heapOf(e), e.heapIdx)
	}
	if e.queued {
		p.queuedBytes -= e.size
		p.queuedCount--
	}
	p.bytes -= e.size
}

// removeWithTailLocked removes e and its sender's higher-nonce txs, which
// could never execute without it. It returns how many txs it removed.
func (p *Pool) removeWithTailLocked(e *entry) int {
	l := p.senders[e.sender]
	if l == nil {
		return 0
	}
	i, ok := l.find(e.nonce())
	if !ok || l.txs[i] != e {
		return 0
	}
	tail := slices.Clone(l.txs[i:])
	for _, x := range tail {
		p.removeLocked(x)
	}
	return len(tail)
}

// syncSenderLocked re-checks a sender's txs against acct, the tip state:
// used nonces go, and so does whatever the balance no longer covers. The
// rest is reclassified as pending or queued.
func (p *Pool) syncSenderLocked(sender consensus.Address, acct consensus.Account) {
	l := p.senders[sender]
	if l == nil {
		return
	}
	l.acct = acct
	i, _ := l.find(acct.Nonce)
	rest := l.txs[i:]
	gone := slices.Concat(l.txs[:i], rest[affordableLen(rest, acct.Balance):])
	for _, e := range gone {
		p.removeLocked(e)
		p.stats.invalidated++
	}
	if l := p.senders[sender]; l != nil {
		p.classifyLocked(l)
	}
}

// classifyLocked files each of l's txs as pending (continuing l.acct's
// nonce without a gap) or queued, moving it between heaps and counters.
func (p *Pool) classifyLocked(l *senderList) {
	n := l.pendingCount()
	for i, e := range l.txs {
		p.setQueuedLocked(e, i >= n)
	}
}

func (p *Pool) setQueuedLocked(e *entry, queued bool) {
	if e.heapIdx >= 0 { // filed already
		if e.queued == queued {
			return
		}
		heap.Remove(p.heapOf(e), e.heapIdx)
		if e.queued {
			p.queuedBytes -= e.size
			p.queuedCount--
		}
	}
	e.queued = queued
	if queued {
		p.queuedBytes += e.size
		p.queuedCount++
	}
	heap.Push(p.heapOf(e), e)
}

// heapOf is the eviction heap e belongs in.
func (p *Pool) heapOf(e *entry) *evictHeap {
	if e.queued {
		return &p.queuedHeap
	}
	return &p.pendingHeap
}
