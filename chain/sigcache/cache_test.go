package sigcache

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

func id(i int) consensus.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return sha256.Sum256(b[:])
}

func newCache(t *testing.T, maxBytes int, seed uint64) *Cache {
	t.Helper()
	var s [32]byte
	s[0] = byte(seed)
	c, err := New(maxBytes, rand.NewChaCha8(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHasTakeAdd(t *testing.T) {
	c := newCache(t, 1<<16, 1)
	if c.Has(id(1)) {
		t.Fatal("empty cache has an id")
	}
	c.Add(id(1))
	c.Add(id(1)) // idempotent
	if !c.Has(id(1)) || c.Has(id(2)) {
		t.Fatal("Has after Add")
	}
	if !c.Take(id(1)) {
		t.Fatal("Take of a held id")
	}
	if c.Take(id(1)) || c.Has(id(1)) {
		t.Fatal("id still held after Take")
	}
	s := c.Stats()
	want := Stats{Hits: 2, Misses: 4, Adds: 1, Entries: 0, Capacity: (1 << 16) / EntrySize}
	if s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
}

func TestBounded(t *testing.T) {
	const maxBytes = 64 * EntrySize * ways // 512 entries
	c := newCache(t, maxBytes, 2)
	for i := range 10_000 {
		c.Add(id(i))
	}
	s := c.Stats()
	if s.Capacity != 512 || s.Entries > s.Capacity {
		t.Fatalf("entries %d, capacity %d (want 512)", s.Entries, s.Capacity)
	}
	if s.Evictions < 10_000-512 {
		t.Fatalf("%d evictions for 10,000 adds into 512 slots", s.Evictions)
	}
	if len(c.sets)*ways*EntrySize > maxBytes {
		t.Fatalf("table is %d bytes, bound %d", len(c.sets)*ways*EntrySize, maxBytes)
	}
	// The most recent adds mostly survive; the oldest mostly do not.
	recent := 0
	for i := 10_000 - 50; i < 10_000; i++ {
		if c.Has(id(i)) {
			recent++
		}
	}
	if recent < 40 {
		t.Fatalf("only %d of the last 50 ids survive", recent)
	}
}

func TestSalted(t *testing.T) {
	a, b := newCache(t, 1<<16, 3), newCache(t, 1<<16, 4)
	for i := range 100 {
		if a.key(id(i)) == b.key(id(i)) {
			t.Fatalf("two caches store id %d under the same key", i)
		}
	}
	// Same salt, same key: the key is a function of salt and id only.
	if newCache(t, 1<<16, 3).key(id(5)) != a.key(id(5)) {
		t.Fatal("key is not deterministic for a given salt")
	}
}

func TestNilCache(t *testing.T) {
	var c *Cache
	c.Add(id(1))
	if c.Has(id(1)) || c.Take(id(1)) || c.Stats() != (Stats{}) {
		t.Fatal("nil cache must be empty and inert")
	}
}

type badReader struct{}

func (badReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestNewSaltError(t *testing.T) {
	if _, err := New(1<<20, badReader{}); err == nil {
		t.Fatal("New without a salt succeeded")
	}
}

func TestConcurrent(t *testing.T) {
	c := newCache(t, 1<<14, 5)
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 2000 {
				c.Add(id(w*10000 + i))
				c.Has(id(i))
				c.Take(id(w*10000 + i/2))
			}
		}()
	}
	for range 4 {
		<-done
	}
	if s := c.Stats(); s.Entries < 0 || s.Entries > s.Capacity {
		t.Fatalf("entries %d out of [0, %d]", s.Entries, s.Capacity)
	}
}
