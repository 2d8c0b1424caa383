package consensus

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkSchnorrVerify is one BIP-340 verification on one core, including
// key and signature parsing and the sighash, as VerifySignature does it.
func BenchmarkSchnorrVerify(b *testing.B) {
	p := RegtestParams()
	tx := transfer(b, p, keyFromSeed("alice"), 0, seedAddr("bob"), 1, p.MinTxFee)
	b.ReportAllocs()
	for b.Loop() {
		if err := tx.VerifySignature(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySignatures2000 verifies a block's worth of 2,000 transfers
// on GOMAXPROCS workers, the way CheckBlockSanity does.
func BenchmarkVerifySignatures2000(b *testing.B) {
	const n = 2000
	p := RegtestParams()
	txs := make([]*Tx, n)
	for i := range txs {
		k := keyFromSeed(fmt.Sprintf("sender %d", i%50))
		txs[i] = transfer(b, p, k, uint64(i/50), seedAddr("bob"), uint64(i), p.MinTxFee)
	}
	workers := runtime.GOMAXPROCS(0)
	for b.Loop() {
		if err := VerifySignatures(txs, workers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkHeaderHash is the miner's inner loop: encode a header and double
// SHA-256 it.
func BenchmarkHeaderHash(b *testing.B) {
	h := RegtestParams().Genesis.Header
	var sink Hash
	b.ReportAllocs()
	for b.Loop() {
		h.Nonce++
		sink = h.Hash()
	}
	_ = sink
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkDoubleSHA256_80 is a raw double SHA-256 of an 80-byte buffer
// (Bitcoin's header size), for comparison with BenchmarkHeaderHash.
func BenchmarkDoubleSHA256_80(b *testing.B) {
	buf := make([]byte, 80)
	var sink Hash
	b.SetBytes(80)
	b.ReportAllocs()
	for b.Loop() {
		buf[0]++
		sink = DoubleSHA256(buf)
	}
	_ = sink
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}
