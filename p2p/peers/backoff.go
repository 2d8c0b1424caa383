package peers

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Backoff remembers peers that failed us (a sync that went nowhere, a stall)
// until a deadline, so they do not win the next pick. Bounded LRU: it must
// outlive the connection, or a liar would reconnect to be picked again.
type Backoff struct {
	mu  sync.Mutex
	now func() time.Time
	m   *lru[peer.ID, backoffEntry]
}

type backoffEntry struct {
	until time.Time
	fails int
}

// NewBackoff returns an empty table; now may be nil for time.Now.
func NewBackoff(now func() time.Time) *Backoff {
	if now == nil {
		now = time.Now
	}
	return &Backoff{now: now, m: newLRU[peer.ID, backoffEntry](maxTracked)}
}

// Fail backs id off for base doubled per consecutive failure (capped at
// 16x) and returns how long.
func (b *Backoff) Fail(id peer.ID, base time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, _ := b.m.get(id)
	e.fails++
	d := base << min(e.fails-1, 4)
	e.until = b.now().Add(d)
	b.m.put(id, e)
	return d
}

// Succeed clears id's failures.
func (b *Backoff) Succeed(id peer.ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m.remove(id)
}

// Active reports whether id is still backed off.
func (b *Backoff) Active(id peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m.get(id)
	return ok && b.now().Before(e.until)
}

// Len is the number of peers tracked.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m.len()
}
