package mempool

import (
	"errors"
	"testing"

	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
)

func newSigCache(t *testing.T) *sigcache.Cache {
	t.Helper()
	c, err := sigcache.New(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSigCacheFilledAndUsed: Add records verified signatures in the shared
// cache, and a tx the cache vouches for is accepted without verifying.
func TestSigCacheFilledAndUsed(t *testing.T) {
	cache := newSigCache(t)
	f := newFixture(t, func(c *Config) { c.SigCache = cache })
	a, b := newKey(1), newKey(2)
	f.state.set(a.addr, 1e9, 0)
	f.state.set(b.addr, 1e9, 0)
	a0 := a.tx(t, f.params, 0, 1000)
	f.mustAdd(t, a0)
	if !cache.Has(a0.ID()) {
		t.Fatal("accepted tx not in the signature cache")
	}
	// Verified elsewhere (e.g. by a node component sharing the cache).
	b0 := b.tx(t, f.params, 0, 1000)
	cache.Add(b0.ID())
	f.mustAdd(t, b0)
	st := f.pool.Stats()
	if st.SigVerifications != 1 || st.SigCacheHits != 1 {
		t.Fatalf("verifications %d, cache hits %d; want 1 and 1", st.SigVerifications, st.SigCacheHits)
	}
}

// TestSigCacheSameFieldsOtherSignature: a tx differing from a cached one
// only in its signature has another id, so the cache cannot vouch for it.
func TestSigCacheSameFieldsOtherSignature(t *testing.T) {
	cache := newSigCache(t)
	f := newFixture(t, func(c *Config) { c.SigCache = cache })
	a := newKey(1)
	f.state.set(a.addr, 1e9, 0)
	good := a.tx(t, f.params, 0, 1000)
	cache.Add(good.ID())
	forged := *good
	forged.Sig[10] ^= 1
	if forged.ID() == good.ID() {
		t.Fatal("changing the signature kept the id")
	}
	_, err := f.pool.Add(&forged)
	if !errors.Is(err, consensus.RuleError{Code: consensus.ErrBadSignature}) {
		t.Fatalf("forged signature: %v, want ErrBadSignature", err)
	}
	if cache.Has(forged.ID()) {
		t.Fatal("a rejected signature entered the cache")
	}
	if st := f.pool.Stats(); st.SigCacheHits != 0 || st.SigVerifications != 1 {
		t.Fatalf("cache hits %d, verifications %d; want 0 and 1", st.SigCacheHits, st.SigVerifications)
	}
}
