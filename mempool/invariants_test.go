package mempool

import "testing"

// checkInvariants verifies the pool's bookkeeping against its contents:
// every tx is in the maps, its sender list and exactly the eviction heap its
// queued flag names; the flag matches the sender's pending run; the byte and
// queued totals add up and the caps hold.
func checkInvariants(tb testing.TB, p *Pool) {
	tb.Helper()
	p.mu.RLock()
	defer p.mu.RUnlock()
	var n, bytes, qBytes, qCount int
	for addr, l := range p.senders {
		if len(l.txs) == 0 {
			tb.Fatalf("sender %x has an empty list", addr)
		}
		run := l.pendingCount()
		for i, e := range l.txs {
			n++
			if p.all[e.id] != e || e.sender != addr {
				tb.Fatalf("tx %s of %x not indexed consistently", e.id, addr)
			}
			if i > 0 && l.txs[i-1].nonce() >= e.nonce() {
				tb.Fatalf("sender %x list not sorted by nonce", addr)
			}
			if want := i >= run; e.queued != want {
				tb.Fatalf("tx nonce %d of %x: queued %v, want %v (account nonce %d)", e.nonce(), addr, e.queued, want, l.acct.Nonce)
			}
			h := p.heapOf(e)
			if e.heapIdx < 0 || e.heapIdx >= h.Len() || (*h)[e.heapIdx] != e {
				tb.Fatalf("tx nonce %d of %x not in its heap (queued %v)", e.nonce(), addr, e.queued)
			}
			if p.byTo[e.tx.To][e.id] != e {
				tb.Fatalf("tx %s missing from the recipient index", e.id)
			}
			bytes += e.size
			if e.queued {
				qBytes += e.size
				qCount++
			}
		}
	}
	if n != len(p.all) || p.pendingHeap.Len()+p.queuedHeap.Len() != n {
		tb.Fatalf("%d txs in lists, %d in the pool, %d+%d in heaps", n, len(p.all), p.pendingHeap.Len(), p.queuedHeap.Len())
	}
	if bytes != p.bytes || qBytes != p.queuedBytes || qCount != p.queuedCount {
		tb.Fatalf("totals: bytes %d/%d, queued bytes %d/%d, queued count %d/%d (counted/kept)",
			bytes, p.bytes, qBytes, p.queuedBytes, qCount, p.queuedCount)
	}
	if p.bytes > p.cfg.MaxBytes || p.queuedBytes > p.cfg.MaxQueuedBytes || p.queuedCount > p.cfg.MaxQueued {
		tb.Fatalf("caps broken: %d bytes (max %d), queued %d bytes (max %d), %d txs (max %d)",
			p.bytes, p.cfg.MaxBytes, p.queuedBytes, p.cfg.MaxQueuedBytes, p.queuedCount, p.cfg.MaxQueued)
	}
}
