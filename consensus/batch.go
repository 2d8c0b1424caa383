package consensus

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/secp256k1"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fr"
)

// BIP-340 batch verification (BIP-340, "Batch Verification"): for inputs
// (P_i, m_i, r_i, s_i) and random a_1 = 1, a_2..a_u, all signatures are
// valid (except with probability 2^-128) iff
//
//	(s_1 + a_2 s_2 + ... + a_u s_u) G = R_1 + a_2 R_2 + ... + a_u R_u
//	                                   + e_1 P_1 + (a_2 e_2) P_2 + ... + (a_u e_u) P_u
//
// where R_i = lift_x(r_i). The sum is one multi-scalar multiplication.
//
// The curve arithmetic is gnark-crypto's, which is not constant time: it
// only ever sees public data (keys, messages, signatures). Signing stays in
// btcec. A batch that fails is bisected to its lowest-index bad input, and
// for transactions the reported error is always btcec's one-by-one
// VerifySignature error for that tx, so results equal VerifySignatures.

// DefaultKeyCacheSize is how many lifted public keys a BatchVerifier keeps
// by default (about 150 bytes each).
const DefaultKeyCacheSize = 1 << 16

// coefBytes is the size of each random coefficient a_i: BIP-340 allows
// 128-bit coefficients for a 2^-128 failure bound.
const coefBytes = 16

// bisectLeaf is the range size below which a failed batch is searched one
// signature at a time.
const bisectLeaf = 4

// BatchConfig configures a BatchVerifier.
type BatchConfig struct {
	// Rand seeds the random batch coefficients (crypto/rand.Reader in a
	// node; tests may inject a deterministic source). Required. Reads are
	// serialised by the verifier.
	Rand io.Reader
	// Workers is how many goroutines prepare and multiply (0 = GOMAXPROCS).
	Workers int
	// KeyCacheSize bounds the lifted-key cache (0 = DefaultKeyCacheSize,
	// negative = no cache).
	KeyCacheSize int
}

// BatchStats counts a BatchVerifier's work since it was created.
type BatchStats struct {
	Signatures   uint64 // signatures verified (batched or not)
	Batches      uint64 // multi-scalar multiplications run (bisection included)
	Bisections   uint64 // failed batches searched for their first bad signature
	KeyCacheHits uint64 // public keys found already lifted
	KeyCacheMiss uint64 // public keys lifted (a square root each)
}

// BatchVerifier verifies BIP-340 signatures in batches. It owns a bounded
// cache of lifted public keys and is safe for concurrent use.
type BatchVerifier struct {
	workers int
	g       secp256k1.G1Affine
	tag     [32]byte // SHA-256("BIP0340/challenge")

	randMu sync.Mutex
	rand   io.Reader

	keys *keyCache

	sigs, batches, bisections atomic.Uint64
}

// NewBatchVerifier returns a verifier. It panics if cfg.Rand is nil: a
// batch without unpredictable coefficients is not sound.
func NewBatchVerifier(cfg BatchConfig) *BatchVerifier {
	if cfg.Rand == nil {
		panic("consensus: BatchConfig.Rand is required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.KeyCacheSize == 0 {
		cfg.KeyCacheSize = DefaultKeyCacheSize
	}
	v := &BatchVerifier{workers: cfg.Workers, rand: cfg.Rand, keys: newKeyCache(cfg.KeyCacheSize)}
	_, v.g = secp256k1.Generators()
	v.tag = sha256.Sum256([]byte("BIP0340/challenge"))
	return v
}

// Stats returns the verifier's counters.
func (v *BatchVerifier) Stats() BatchStats {
	hits, miss := v.keys.stats()
	return BatchStats{
		Signatures: v.sigs.Load(), Batches: v.batches.Load(), Bisections: v.bisections.Load(),
		KeyCacheHits: hits, KeyCacheMiss: miss,
	}
}

// SchnorrInput is one BIP-340 verification: an x-only public key, a message
// of any length and a 64-byte signature.
type SchnorrInput struct {
	PubKey [32]byte
	Msg    []byte
	Sig    [64]byte
}

// Verify checks every input and returns the index of the lowest invalid one,
// or -1 if all are valid: exactly what BIP-340 Verify one by one would
// report (up to the batch's 2^-128 error bound).
func (v *BatchVerifier) Verify(in []SchnorrInput) int {
	return v.verify(len(in), func(i int, _ *[32]byte) (*[32]byte, []byte, *[64]byte, bool) {
		return &in[i].PubKey, in[i].Msg, &in[i].Sig, true
	})
}

// VerifyTxs checks the signatures of txs (all transfers, as in a block
// after its coinbase) and returns exactly what VerifySignatures returns:
// nil, or the error of the lowest-index tx whose signature does not verify.
func (v *BatchVerifier) VerifyTxs(txs []*Tx) error {
	bad := v.verify(len(txs), func(i int, buf *[32]byte) (*[32]byte, []byte, *[64]byte, bool) {
		tx := txs[i]
		if tx.Kind != TxTransfer {
			return nil, nil, nil, false
		}
		*buf = tx.SigHash()
		return &tx.PubKey, buf[:], &tx.Sig, true
	})
	if bad < 0 {
		return nil
	}
	if err := txs[bad].VerifySignature(); err != nil {
		return err
	}
	// The batch and btcec disagree about this tx: never trust the batch
	// over the reference; answer as the one-by-one path does.
	return VerifySignatures(txs, v.workers)
}

// inputFunc returns input i; buf is scratch space for a message that must
// be computed. ok=false marks an input that fails before any arithmetic.
type inputFunc func(i int, buf *[32]byte) (pk *[32]byte, msg []byte, sig *[64]byte, ok bool)

// prepared is one signature parsed and lifted: the batch needs R, P, s, e.
type prepared struct {
	r, p secp256k1.G1Affine
	s, e fr.Element
	pk   [32]byte // to merge the terms of a key that signs several times
}

func (v *BatchVerifier) verify(n int, get inputFunc) int {
	if n == 0 {
		return -1
	}
	v.sigs.Add(uint64(n))
	items := make([]prepared, n)
	// first is the lowest input that fails parsing or lifting: everything
	// after it cannot change the answer, everything before it is batched.
	first := v.prepareAll(items, get)
	if first == 0 {
		return 0
	}
	items = items[:first]
	coef, ok := v.coefficients(items)
	if !ok { // no randomness: check one at a time, still exact
		for i := range items {
			if !v.checkOne(items[i : i+1]) {
				return i
			}
		}
		return notFound(first, n)
	}
	if v.check(items, coef) {
		return notFound(first, n)
	}
	v.bisections.Add(1)
	if i := v.bisect(items, coef, 0); i >= 0 {
		return i
	}
	// Only reachable if a sub-batch with a bad signature passed (2^-128):
	// find it the slow way rather than report the wrong index.
	for i := range items {
		if !v.checkOne(items[i : i+1]) {
			return i
		}
	}
	return notFound(first, n)
}

func notFound(first, n int) int {
	if first < n {
		return first
	}
	return -1
}

// prepareAll fills items on all workers and returns the lowest index that
// failed (n if none).
func (v *BatchVerifier) prepareAll(items []prepared, get inputFunc) int {
	n := len(items)
	workers := min(v.workers, max(1, n/32))
	if workers <= 1 {
		return v.prepareRange(items, get, 0, n)
	}
	firsts := make([]int, workers)
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Go(func() { firsts[w] = v.prepareRange(items, get, lo, hi) })
	}
	wg.Wait()
	for _, f := range firsts {
		if f < n {
			return f
		}
	}
	return n
}

func (v *BatchVerifier) prepareRange(items []prepared, get inputFunc, lo, hi int) int {
	var buf [32]byte
	for i := lo; i < hi; i++ {
		pk, msg, sig, ok := get(i, &buf)
		if !ok || !v.prepare(&items[i], pk, msg, sig) {
			return i
		}
	}
	return len(items)
}

// prepare parses and lifts one input as BIP-340 Verify does: P =
// lift_x(pk) (fails if pk >= p or not on the curve), r < p, s < n,
// R = lift_x(r), e = hash_challenge(r || pk || m) mod n.
func (v *BatchVerifier) prepare(it *prepared, pk *[32]byte, msg []byte, sig *[64]byte) bool {
	var ok bool
	if it.p, ok = v.keys.lift(pk); !ok {
		return false
	}
	if it.r, ok = liftX(sig[:32]); !ok {
		return false
	}
	if err := it.s.SetBytesCanonical(sig[32:]); err != nil {
		return false
	}
	h := sha256.New()
	h.Write(v.tag[:])
	h.Write(v.tag[:])
	h.Write(sig[:32])
	h.Write(pk[:])
	h.Write(msg)
	var e [32]byte
	h.Sum(e[:0])
	it.e.SetBytes(e[:]) // reduces mod n
	it.pk = *pk
	return true
}

// coefficients draws a_1 = 1 and 128-bit non-zero a_2..a_u. The stream is
// seeded from the caller's randomness and the inputs themselves, so even a
// weak source cannot be predicted without knowing the batch.
func (v *BatchVerifier) coefficients(items []prepared) ([]fr.Element, bool) {
	var seed [32]byte
	v.randMu.Lock()
	_, err := io.ReadFull(v.rand, seed[:])
	v.randMu.Unlock()
	if err != nil {
		return nil, false
	}
	h := sha256.New()
	h.Write(seed[:])
	for i := range items {
		b := items[i].e.Bytes()
		h.Write(b[:])
		b = items[i].s.Bytes()
		h.Write(b[:])
	}
	h.Sum(seed[:0])
	stream := rand.NewChaCha8(seed)
	coef := make([]fr.Element, len(items))
	coef[0].SetOne()
	var buf [32]byte // big-endian; the top 16 bytes stay zero
	for i := 1; i < len(coef); i++ {
		for {
			_, _ = stream.Read(buf[32-coefBytes:])
			coef[i].SetBytes(buf[:])
			if !coef[i].IsZero() {
				break
			}
		}
	}
	return coef, true
}

// bisect returns the lowest index in items (offset by base) whose
// signature is bad, knowing that the batch over items fails; -1 if it
// finds none.
func (v *BatchVerifier) bisect(items []prepared, coef []fr.Element, base int) int {
	if len(items) <= bisectLeaf {
		for i := range items {
			if !v.checkOne(items[i : i+1]) {
				return base + i
			}
		}
		return -1
	}
	mid := len(items) / 2
	if !v.check(items[:mid], coef[:mid]) {
		return v.bisect(items[:mid], coef[:mid], base)
	}
	return v.bisect(items[mid:], coef[mid:], base+mid)
}

// checkOne is single BIP-340 verification of one prepared input (a
// one-element slice): R == s*G - e*P, with R lifted to the point of even y.
func (v *BatchVerifier) checkOne(one []prepared) bool {
	var c [1]fr.Element
	c[0].SetOne()
	return v.check(one, c[:])
}

// check runs the batch equation over items with coefficients coef. One
// multi-scalar multiplication over all points, with gnark spreading its
// windows over the workers, measured faster here than one MSM per worker
// summed (fewer windows per point, and large MSMs use batch-affine adds).
func (v *BatchVerifier) check(items []prepared, coef []fr.Element) bool {
	v.batches.Add(1)
	sum := v.msm(items, coef, v.workers)
	return sum.Z.IsZero()
}

// msm returns sum(a_i R_i) + sum(a_i e_i P_i) - (sum a_i s_i) G, merging
// the terms of repeated keys.
func (v *BatchVerifier) msm(items []prepared, coef []fr.Element, tasks int) secp256k1.G1Jac {
	points := make([]secp256k1.G1Affine, 0, 2*len(items)+1)
	scalars := make([]fr.Element, 0, 2*len(items)+1)
	keyAt := make(map[[32]byte]int, len(items))
	var sSum, t fr.Element
	for i := range items {
		it, a := &items[i], &coef[i]
		points = append(points, it.r)
		scalars = append(scalars, *a)
		t.Mul(a, &it.e)
		if j, ok := keyAt[it.pk]; ok {
			scalars[j].Add(&scalars[j], &t)
		} else {
			keyAt[it.pk] = len(points)
			points = append(points, it.p)
			scalars = append(scalars, t)
		}
		t.Mul(a, &it.s)
		sSum.Add(&sSum, &t)
	}
	sSum.Neg(&sSum)
	points = append(points, v.g)
	scalars = append(scalars, sSum)
	var sum secp256k1.G1Jac
	if _, err := sum.MultiExp(points, scalars, ecc.MultiExpConfig{NbTasks: tasks}); err != nil {
		// Only on mismatched lengths or a bad config, both impossible
		// here; a non-zero sum makes the caller search one by one.
		sum.FromAffine(&v.g)
	}
	return sum
}
