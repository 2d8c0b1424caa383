package peers

import (
	"net/netip"
	"sync"
	"time"
)

// Budget is a token bucket per remote IP. It bounds what we upload on a
// peer's behalf without being asked by our own sync (mempool inventories
// and the txs fetched from them), so reconnecting with fresh peer IDs from
// one address cannot multiply our upload. Bounded LRU of addresses.
type Budget struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu sync.Mutex
	m  *lru[netip.Addr, bucket]
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewBudget refills perSecond tokens per second up to burst; now may be nil.
func NewBudget(perSecond, burst float64, now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{rate: perSecond, burst: burst, now: now, m: newLRU[netip.Addr, bucket](maxTracked)}
}

// Take removes up to want tokens from ip's bucket and returns how many it
// got (0 when the bucket is empty).
func (b *Budget) Take(ip netip.Addr, want float64) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	bk, ok := b.m.get(ip)
	if !ok {
		bk = bucket{tokens: b.burst, at: now}
	}
	bk.tokens = min(b.burst, bk.tokens+now.Sub(bk.at).Seconds()*b.rate)
	bk.at = now
	got := max(0, min(want, bk.tokens))
	bk.tokens -= got
	b.m.put(ip, bk)
	return got
}
