package peers

import (
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// PenaltyHalfLife is how fast penalties decay: a peer that was slow once
// recovers, while repeated faults add up past BanScore.
const PenaltyHalfLife = 10 * time.Minute

// maxTracked bounds every per-peer table that outlives connections.
const maxTracked = 4096

type penalty struct {
	v  float64
	at time.Time
}

// Penalties is our own score of each peer, fed into the gossip score as its
// app-specific component. Entries outlive connections (a reconnect does not
// wash a penalty) in an LRU bounded to maxTracked peers.
type Penalties struct {
	mu  sync.Mutex
	now func() time.Time
	m   *lru[peer.ID, penalty]
}

// NewPenalties returns an empty table; now may be nil for time.Now.
func NewPenalties(now func() time.Time) *Penalties {
	if now == nil {
		now = time.Now
	}
	return &Penalties{now: now, m: newLRU[peer.ID, penalty](maxTracked)}
}

func decayed(p penalty, now time.Time) float64 {
	return p.v * math.Exp2(-now.Sub(p.at).Seconds()/PenaltyHalfLife.Seconds())
}

// Add increases id's penalty and returns the new decayed total.
func (ps *Penalties) Add(id peer.ID, amount float64) float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	now := ps.now()
	old, _ := ps.m.get(id)
	v := decayed(old, now) + amount
	ps.m.put(id, penalty{v: v, at: now})
	return v
}

// Get returns id's decayed penalty (0 if none).
func (ps *Penalties) Get(id peer.ID) float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, ok := ps.m.get(id)
	if !ok {
		return 0
	}
	return decayed(p, ps.now())
}

// Len is the number of peers tracked.
func (ps *Penalties) Len() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.m.len()
}
