package consensus

import (
	"sync"
	"sync/atomic"

	"github.com/consensys/gnark-crypto/ecc/secp256k1"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fp"
)

// liftX is BIP-340's lift_x: the curve point with x-coordinate x (32 bytes,
// big-endian) and even y. It fails if x >= p or x^3 + 7 has no square root
// mod p (no point on the curve has that x).
func liftX(x []byte) (secp256k1.G1Affine, bool) {
	var pt secp256k1.G1Affine
	if err := pt.X.SetBytesCanonical(x); err != nil {
		return pt, false
	}
	var c, seven fp.Element
	seven.SetUint64(7)
	c.Square(&pt.X).Mul(&c, &pt.X).Add(&c, &seven)
	if pt.Y.Sqrt(&c) == nil {
		return pt, false
	}
	if pt.Y.Bits()[0]&1 == 1 {
		pt.Y.Neg(&pt.Y)
	}
	return pt, true
}

// keyCache keeps lifted public keys: accounts sign many transactions, and
// lifting costs a square root. It is bounded; when full, an arbitrary entry
// (Go's map iteration order is randomised) makes room. Invalid keys are
// not cached.
type keyCache struct {
	max        int
	hits, miss atomic.Uint64

	mu sync.RWMutex
	m  map[[32]byte]secp256k1.G1Affine
}

func newKeyCache(size int) *keyCache {
	c := &keyCache{max: max(size, 0)}
	if c.max > 0 {
		c.m = make(map[[32]byte]secp256k1.G1Affine)
	}
	return c
}

// lift returns lift_x(pk), from the cache if it holds it.
func (c *keyCache) lift(pk *[32]byte) (secp256k1.G1Affine, bool) {
	if c.max == 0 {
		c.miss.Add(1)
		return liftX(pk[:])
	}
	c.mu.RLock()
	p, ok := c.m[*pk]
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
		return p, true
	}
	c.miss.Add(1)
	p, ok = liftX(pk[:])
	if !ok {
		return p, false
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[*pk] = p
	c.mu.Unlock()
	return p, true
}

func (c *keyCache) stats() (hits, miss uint64) { return c.hits.Load(), c.miss.Load() }

func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
