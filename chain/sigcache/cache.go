package sigcache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/cairn-chain/cairn/consensus"
)

// DefaultMaxBytes is the default memory bound (8 MiB, about 260,000
// entries: minutes of transactions at thousands per second, five times a
// full mempool). A sync touches the whole table, so it counts in full.
const DefaultMaxBytes = 8 << 20

// EntrySize is the memory one entry takes: a 32-byte salted hash.
const EntrySize = 32

// ways is the set size: an id can live in one of 8 slots, and a full set
// evicts one of them, chosen by the (salted, so unpredictable) key.
const ways = 8

type key [32]byte

// Stats counts a cache's use.
type Stats struct {
	Hits      uint64 // Has/Take calls that found their id
	Misses    uint64 // Has/Take calls that did not
	Adds      uint64 // ids added
	Evictions uint64 // entries overwritten to make room
	Entries   int    // ids held now
	Capacity  int    // ids it can hold
}

// Cache is a bounded, salted set of verified tx ids, safe for concurrent
// use. A nil *Cache is a valid, always-empty cache.
type Cache struct {
	salt [32]byte

	mu      sync.RWMutex
	sets    [][ways]key // all-zero key = empty slot
	entries int

	hits, misses, adds, evictions atomic.Uint64
}

// New returns a cache of at most maxBytes (rounded down to whole sets of 8
// entries, at least one set). rnd supplies the salt (nil = crypto/rand).
func New(maxBytes int, rnd io.Reader) (*Cache, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	c := &Cache{}
	if _, err := io.ReadFull(rnd, c.salt[:]); err != nil {
		return nil, fmt.Errorf("sigcache: read salt: %w", err)
	}
	c.sets = make([][ways]key, max(1, maxBytes/(EntrySize*ways)))
	return c, nil
}

// key is the salted hash an id is stored as.
func (c *Cache) key(id consensus.Hash) key {
	h := sha256.New()
	h.Write(c.salt[:])
	h.Write(id[:])
	var k key
	h.Sum(k[:0])
	return k
}

func (c *Cache) set(k *key) *[ways]key {
	return &c.sets[binary.LittleEndian.Uint64(k[:8])%uint64(len(c.sets))]
}

// find returns the slot of k in s, or -1.
func find(s *[ways]key, k *key) int {
	for i := range s {
		if s[i] == *k {
			return i
		}
	}
	return -1
}

// Has reports whether id's signature verified before.
func (c *Cache) Has(id consensus.Hash) bool {
	if c == nil {
		return false
	}
	k := c.key(id)
	c.mu.RLock()
	found := find(c.set(&k), &k) >= 0
	c.mu.RUnlock()
	c.count(found)
	return found
}

// Take is Has, and forgets id if found (a mined tx is not needed again).
func (c *Cache) Take(id consensus.Hash) bool {
	if c == nil {
		return false
	}
	k := c.key(id)
	c.mu.Lock()
	s := c.set(&k)
	i := find(s, &k)
	if i >= 0 {
		s[i] = key{}
		c.entries--
	}
	c.mu.Unlock()
	c.count(i >= 0)
	return i >= 0
}

// Add records that id's signature verified.
func (c *Cache) Add(id consensus.Hash) {
	if c == nil {
		return
	}
	k := c.key(id)
	if k == (key{}) {
		return // the empty marker; never happens for a real hash
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.set(&k)
	if find(s, &k) >= 0 {
		return
	}
	c.adds.Add(1)
	if i := find(s, &key{}); i >= 0 {
		s[i] = k
		c.entries++
		return
	}
	// Full set: evict the slot the key's last byte picks.
	s[k[31]%ways] = k
	c.evictions.Add(1)
}

func (c *Cache) count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

// Stats returns the counters and current size.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.RLock()
	n := c.entries
	c.mu.RUnlock()
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Adds: c.adds.Load(), Evictions: c.evictions.Load(),
		Entries: n, Capacity: len(c.sets) * ways,
	}
}
