package consensus

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fr"
)

// Differential tests: the batch verifier against btcec's one-by-one BIP-340
// verification, which VerifySignatures uses and which stays the reference.

func testVerifier(seed uint64, workers int) *BatchVerifier {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return NewBatchVerifier(BatchConfig{Rand: rand.NewChaCha8(s), Workers: workers})
}

type bipVector struct {
	index  int
	in     SchnorrInput
	valid  bool
	secret string
	note   string
}

// loadBIP340Vectors reads the official BIP-340 test vectors
// (bip-0340/test-vectors.csv, 2022-12 version with variable-length messages).
func loadBIP340Vectors(t testing.TB) []bipVector {
	t.Helper()
	f, err := os.Open("testdata/bip340-vectors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []bipVector
	for _, row := range rows[1:] {
		idx, err := strconv.Atoi(row[0])
		if err != nil {
			t.Fatal(err)
		}
		v := bipVector{index: idx, secret: row[1], valid: row[6] == "TRUE", note: row[7]}
		pk, err1 := hex.DecodeString(row[2])
		msg, err2 := hex.DecodeString(row[4])
		sig, err3 := hex.DecodeString(row[5])
		if err := errors.Join(err1, err2, err3); err != nil || len(pk) != 32 || len(sig) != 64 {
			t.Fatalf("vector %d: bad row: %v", idx, err)
		}
		copy(v.in.PubKey[:], pk)
		copy(v.in.Sig[:], sig)
		v.in.Msg = msg
		out = append(out, v)
	}
	if len(out) != 19 {
		t.Fatalf("%d vectors, want 19", len(out))
	}
	return out
}

// btcecVerify is one-by-one BIP-340 verification as VerifySignature does it.
func btcecVerify(in SchnorrInput) bool {
	pub, err := schnorr.ParsePubKey(in.PubKey[:])
	if err != nil {
		return false
	}
	sig, err := schnorr.ParseSignature(in.Sig[:])
	if err != nil {
		return false
	}
	return sig.Verify(in.Msg, pub)
}

func TestBatchBIP340Vectors(t *testing.T) {
	vecs := loadBIP340Vectors(t)
	v := testVerifier(1, 2)
	for _, vec := range vecs {
		got := v.Verify([]SchnorrInput{vec.in}) < 0
		if got != vec.valid {
			t.Errorf("vector %d (%s): batch says %v, BIP says %v", vec.index, vec.note, got, vec.valid)
		}
		// btcec only takes 32-byte messages (vectors 15-18 are longer or shorter).
		if len(vec.in.Msg) == 32 {
			if b := btcecVerify(vec.in); b != vec.valid {
				t.Errorf("vector %d: btcec says %v, BIP says %v", vec.index, b, vec.valid)
			}
		}
		if vec.secret != "" && len(vec.in.Msg) == 32 {
			// The key column must match the pubkey column (checks the transcription).
			sk, _ := hex.DecodeString(vec.secret)
			k, _ := btcec.PrivKeyFromBytes(sk)
			if pubOf(k) != vec.in.PubKey {
				t.Errorf("vector %d: secret key does not give the listed public key", vec.index)
			}
		}
	}
	// All together: the lowest invalid vector is reported; the valid ones
	// pass as one batch (including repeated keys).
	var all, valid []SchnorrInput
	firstBad := -1
	for i, vec := range vecs {
		all = append(all, vec.in)
		if vec.valid {
			valid = append(valid, vec.in)
		} else if firstBad < 0 {
			firstBad = i
		}
	}
	if got := v.Verify(all); got != firstBad {
		t.Fatalf("all vectors: first bad %d, want %d", got, firstBad)
	}
	if got := v.Verify(valid); got != -1 {
		t.Fatalf("valid vectors: first bad %d, want -1", got)
	}
	// Each invalid vector hidden among the valid ones is found at its place.
	for _, vec := range vecs {
		if vec.valid {
			continue
		}
		batch := append(append(append([]SchnorrInput{}, valid[:3]...), vec.in), valid[3:]...)
		if got := v.Verify(batch); got != 3 {
			t.Errorf("vector %d among valid ones: first bad %d, want 3", vec.index, got)
		}
	}
}

// sigFixture signs n transfers with keys from a pool of nkeys accounts.
func sigFixture(t testing.TB, rng *rand.Rand, n, nkeys int) []*Tx {
	t.Helper()
	p := RegtestParams()
	keys := make([]*btcec.PrivateKey, nkeys)
	for i := range keys {
		keys[i] = keyFromSeed(fmt.Sprintf("batch key %d", i))
	}
	txs := make([]*Tx, n)
	for i := range txs {
		k := keys[rng.IntN(nkeys)]
		txs[i] = transfer(t, p, k, uint64(i), seedAddr("to"), 1+rng.Uint64N(1e9), p.MinTxFee)
	}
	return txs
}

// corrupt breaks tx i of txs in one of several ways and returns a label.
func corrupt(t testing.TB, rng *rand.Rand, txs []*Tx, i int) string {
	t.Helper()
	tx := txs[i]
	switch rng.IntN(8) {
	case 0:
		tx.Sig[32+rng.IntN(32)] ^= 1 << rng.IntN(8)
		return "bad s"
	case 1:
		tx.Sig[rng.IntN(32)] ^= 1 << rng.IntN(8)
		return "bad r"
	case 2:
		tx.PubKey = pubOf(keyFromSeed(fmt.Sprintf("other %d", rng.Int())))
		return "wrong key"
	case 3:
		tx.Amount++ // the signed message changes
		return "wrong message"
	case 4:
		j := rng.IntN(len(txs))
		if j == i {
			tx.Memo = append(tx.Memo, 'x')
			return "wrong message (memo)"
		}
		tx.Sig, txs[j].Sig = txs[j].Sig, tx.Sig
		return "swapped"
	case 5:
		copy(tx.PubKey[:], hexBytes(t, "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34"))
		return "key not on curve"
	case 6:
		copy(tx.Sig[32:], hexBytes(t, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"))
		return "s = n"
	default:
		copy(tx.Sig[:32], hexBytes(t, "4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D"))
		return "r not on curve"
	}
}

// cloneTxs deep-copies txs so each corruption starts from valid signatures.
func cloneTxs(txs []*Tx) []*Tx {
	out := make([]*Tx, len(txs))
	for i, tx := range txs {
		c := *tx
		c.Memo = append([]byte(nil), tx.Memo...)
		out[i] = &c
	}
	return out
}

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameResult fails unless the batch and the one-by-one path agree exactly.
func sameResult(t *testing.T, label string, batch, single error) {
	t.Helper()
	if (batch == nil) != (single == nil) {
		t.Fatalf("%s: batch %v, one-by-one %v", label, batch, single)
	}
	if batch != nil && batch.Error() != single.Error() {
		t.Fatalf("%s: batch %q, one-by-one %q", label, batch, single)
	}
	if CodeOf(batch) != CodeOf(single) {
		t.Fatalf("%s: code %v vs %v", label, CodeOf(batch), CodeOf(single))
	}
}

func TestBatchRandomDifferential(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 17, 64, 129, 300}
	if !raceEnabled && !testing.Short() {
		sizes = append(sizes, 1000, 2500, 5000)
	}
	rng := rand.New(rand.NewPCG(7, 9))
	v := testVerifier(2, 0)
	for _, n := range sizes {
		signed := sigFixture(t, rng, n, 1+rng.IntN(n+1))
		for _, bad := range []int{0, 1, 2, -1} { // -1: many
			nbad := bad
			if bad < 0 {
				nbad = 1 + rng.IntN(max(1, n/10))
			}
			if nbad > n {
				continue
			}
			txs := cloneTxs(signed)
			var labels []string
			for range nbad {
				labels = append(labels, corrupt(t, rng, txs, rng.IntN(n)))
			}
			label := fmt.Sprintf("n=%d bad=%d %v", n, nbad, labels)
			single := VerifySignatures(txs, 0)
			before := v.Stats().Bisections
			sameResult(t, label, v.VerifyTxs(txs), single)
			// A valid batch must pass as a batch, not through the
			// one-by-one safety net (which would hide a broken batch).
			if single == nil && v.Stats().Bisections != before {
				t.Fatalf("%s: a valid batch failed the batch equation", label)
			}
			if nbad > 0 && single == nil {
				// e.g. a swap of two signatures of equal txs; rare, fine
				t.Logf("%s: corruption left the batch valid", label)
			}
		}
	}
}

// TestBatchRejectsCancellingSignatures: two invalid signatures whose errors
// cancel in an unweighted sum (s_1 + d, s_2 - d) must not pass a batch.
func TestBatchRejectsCancellingSignatures(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := testVerifier(3, 0)
	for range 20 {
		txs := sigFixture(t, rng, 8, 8)
		i, j := rng.IntN(4), 4+rng.IntN(4)
		var si, sj, d fr.Element
		if err := si.SetBytesCanonical(txs[i].Sig[32:]); err != nil {
			t.Fatal(err)
		}
		if err := sj.SetBytesCanonical(txs[j].Sig[32:]); err != nil {
			t.Fatal(err)
		}
		d.SetUint64(1 + rng.Uint64())
		si.Add(&si, &d)
		sj.Sub(&sj, &d)
		bi, bj := si.Bytes(), sj.Bytes()
		copy(txs[i].Sig[32:], bi[:])
		copy(txs[j].Sig[32:], bj[:])
		err := v.VerifyTxs(txs)
		sameResult(t, "cancelling", err, VerifySignatures(txs, 1))
		if err == nil {
			t.Fatal("batch accepted two signatures that cancel out")
		}
	}
}

// TestBatchSwappedSignatures: two valid signatures exchanged between txs.
func TestBatchSwappedSignatures(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	v := testVerifier(4, 0)
	txs := sigFixture(t, rng, 200, 1) // one key: the swap keeps keys equal
	txs[50].Sig, txs[120].Sig = txs[120].Sig, txs[50].Sig
	err := v.VerifyTxs(txs)
	sameResult(t, "swapped", err, VerifySignatures(txs, 1))
	if CodeOf(err) != ErrBadSignature {
		t.Fatalf("got %v, want ErrBadSignature at tx 50", err)
	}
}

// TestBatchCoinbaseInList: a non-transfer is reported like VerifySignature.
func TestBatchCoinbaseInList(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	txs := sigFixture(t, rng, 10, 3)
	txs[6] = coinbase(RegtestParams(), 1, seedAddr("m"), 5)
	sameResult(t, "coinbase", testVerifier(5, 0).VerifyTxs(txs), VerifySignatures(txs, 1))
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestBatchWithoutRandomness: a reader that fails makes the verifier check
// one by one; results stay the same.
func TestBatchWithoutRandomness(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	v := NewBatchVerifier(BatchConfig{Rand: failingReader{}})
	txs := sigFixture(t, rng, 100, 10)
	if err := v.VerifyTxs(txs); err != nil {
		t.Fatal(err)
	}
	corrupt(t, rng, txs, 77)
	sameResult(t, "no rand", v.VerifyTxs(txs), VerifySignatures(txs, 1))
	if s := v.Stats(); s.Batches < 100 {
		t.Fatalf("%d checks, want one per signature without randomness", s.Batches)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var seed [32]byte
	v := NewBatchVerifier(BatchConfig{Rand: rand.NewChaCha8(seed), KeyCacheSize: 4})
	txs := sigFixture(t, rng, 40, 10)
	if err := v.VerifyTxs(txs); err != nil {
		t.Fatal(err)
	}
	if n := v.keys.len(); n > 4 {
		t.Fatalf("key cache holds %d keys, bound 4", n)
	}
	one := sigFixture(t, rng, 30, 1) // one key, 30 signatures
	before := v.Stats()
	if err := v.VerifyTxs(one); err != nil {
		t.Fatal(err)
	}
	after := v.Stats()
	if hits := after.KeyCacheHits - before.KeyCacheHits; hits < 29 {
		t.Fatalf("%d key cache hits for 30 signatures by one key, want >= 29", hits)
	}
	if after.Signatures-before.Signatures != 30 {
		t.Fatalf("Signatures counter moved by %d, want 30", after.Signatures-before.Signatures)
	}
}

// FuzzBatchVsSingle feeds arbitrary (pubkey, msg, sig) tuples to the batch
// verifier and to btcec, alone and next to valid signatures, and requires
// the same verdict. mode chooses a fresh signature by a seeded key that the
// fuzzer then perturbs, so valid inputs are reached too.
func FuzzBatchVsSingle(f *testing.F) {
	for _, vec := range loadBIP340Vectors(f) {
		if len(vec.in.Msg) == 32 {
			f.Add(vec.in.PubKey[:], vec.in.Msg, vec.in.Sig[:], uint8(0), []byte{})
		}
	}
	f.Add([]byte{}, []byte{}, []byte{}, uint8(1), []byte{})
	f.Add([]byte{}, []byte{1}, []byte{}, uint8(1), []byte{0, 0, 0, 1})
	f.Add([]byte{}, []byte{2}, []byte{}, uint8(2), []byte{5})
	good := sigFixture(f, rand.New(rand.NewPCG(1, 2)), 3, 2)
	v := testVerifier(6, 1)
	f.Fuzz(func(t *testing.T, pk, msg, sig []byte, mode uint8, flip []byte) {
		var in SchnorrInput
		var m [32]byte
		copy(m[:], msg)
		in.Msg = m[:]
		copy(in.PubKey[:], pk)
		copy(in.Sig[:], sig)
		if mode%2 == 1 { // sign m with a key derived from pk, then flip bits
			k := keyFromSeed(string(pk))
			s, err := schnorr.Sign(k, m[:])
			if err != nil {
				t.Fatal(err)
			}
			in.PubKey = pubOf(k)
			copy(in.Sig[:], s.Serialize())
			for i, b := range flip {
				if mode&2 != 0 {
					in.PubKey[i%32] ^= b
				} else {
					in.Sig[i%64] ^= b
				}
			}
		}
		want := btcecVerify(in)
		if got := v.Verify([]SchnorrInput{in}) < 0; got != want {
			t.Fatalf("alone: batch %v, btcec %v", got, want)
		}
		batch := make([]SchnorrInput, 0, 4)
		for _, tx := range good[:2] {
			h := tx.SigHash()
			batch = append(batch, SchnorrInput{PubKey: tx.PubKey, Msg: h[:], Sig: tx.Sig})
		}
		batch = append(batch, in)
		h := good[2].SigHash()
		batch = append(batch, SchnorrInput{PubKey: good[2].PubKey, Msg: h[:], Sig: good[2].Sig})
		wantIdx := -1
		if !want {
			wantIdx = 2
		}
		if got := v.Verify(batch); got != wantIdx {
			t.Fatalf("among valid: first bad %d, want %d", got, wantIdx)
		}
	})
}

// TestBatchRepeatedPoints: the same signature many times puts equal points
// in the same MSM buckets (doubling cases); a large batch also takes
// gnark's batch-affine path. Valid must pass, one bad copy must be found.
func TestBatchRepeatedPoints(t *testing.T) {
	n := 4200 // > 4096 points (one merged key): gnark takes its batch-affine path
	if raceEnabled {
		n = 300
	}
	tx := sigFixture(t, rand.New(rand.NewPCG(2, 2)), 1, 1)[0]
	h := tx.SigHash()
	in := make([]SchnorrInput, n)
	for i := range in {
		in[i] = SchnorrInput{PubKey: tx.PubKey, Msg: h[:], Sig: tx.Sig}
	}
	v := testVerifier(7, 0)
	if got := v.Verify(in); got != -1 {
		t.Fatalf("repeated valid signature: first bad %d", got)
	}
	in[n-3].Sig[40] ^= 1
	if got := v.Verify(in); got != n-3 {
		t.Fatalf("one bad copy: first bad %d, want %d", got, n-3)
	}
}
