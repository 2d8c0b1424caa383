package chain

import (
	"sync"
	"sync/atomic"

	"github.com/cairn-chain/cairn/consensus"
)

// DefaultAccountCache is how many account states the chain keeps in memory
// by default (about 64 bytes each, so ~4 MiB).
const DefaultAccountCache = 1 << 16

// accountCache is a write-through cache of account state in front of
// LevelDB, Bitcoin Core's coins cache without the write-back: connecting a
// block reads every account it touches, and busy accounts are touched by
// block after block. The database stays the truth; the cache only ever
// holds what a committed batch wrote or what was read while no batch could
// commit (under the chain's lock), so it is never ahead of or behind disk.
type accountCache struct {
	max          int
	hits, misses atomic.Uint64

	mu sync.Mutex
	m  map[consensus.Address]consensus.Account
}

func newAccountCache(size int) *accountCache {
	return &accountCache{max: max(size, 0), m: make(map[consensus.Address]consensus.Account)}
}

func (a *accountCache) get(addr consensus.Address) (consensus.Account, bool) {
	if a.max == 0 {
		return consensus.Account{}, false
	}
	a.mu.Lock()
	v, ok := a.m[addr]
	a.mu.Unlock()
	if ok {
		a.hits.Add(1)
	} else {
		a.misses.Add(1)
	}
	return v, ok
}

// put records addr's state; when full, arbitrary entries (Go randomises map
// iteration) make room.
func (a *accountCache) put(addrs []consensus.Address, st consensus.Accounts) {
	if a.max == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, addr := range addrs {
		if _, ok := a.m[addr]; !ok && len(a.m) >= a.max {
			for k := range a.m {
				delete(a.m, k)
				break
			}
		}
		a.m[addr] = st[addr]
	}
}

// reset forgets everything: after a failed write, disk may hold either
// version.
func (a *accountCache) reset() {
	a.mu.Lock()
	clear(a.m)
	a.mu.Unlock()
}

// AccountCacheStats counts the account cache's use since the chain was
// opened.
type AccountCacheStats struct {
	Hits     uint64 // account reads answered from memory
	Misses   uint64 // account reads that went to the database
	Entries  int    // accounts held now
	Capacity int    // accounts it can hold (0 = no cache)
}

// AccountCacheStats returns the account cache's counters and current size.
func (c *Chain) AccountCacheStats() AccountCacheStats {
	return c.accts.stats()
}

func (a *accountCache) stats() AccountCacheStats {
	a.mu.Lock()
	n := len(a.m)
	a.mu.Unlock()
	return AccountCacheStats{Hits: a.hits.Load(), Misses: a.misses.Load(), Entries: n, Capacity: a.max}
}
