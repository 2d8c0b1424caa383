package consensus

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkBatchVsSingle compares one-by-one verification on all cores
// (VerifySignatures, the old bound) with the batch verifier on all cores,
// on the same signed transfers, at the batch sizes. Every key signs
// once (no key-cache or merged-key help), so this is the worst case.
func BenchmarkBatchVsSingle(b *testing.B) {
	for _, n := range []int{64, 512, 4096} {
		txs := sigFixture(b, mrand.New(mrand.NewPCG(uint64(n), 1)), n, n)
		b.Run(fmt.Sprintf("single/n=%d", n), func(b *testing.B) {
			workers := runtime.GOMAXPROCS(0)
			cpu0, _ := processCPU()
			for b.Loop() {
				if err := VerifySignatures(txs, workers); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, n, cpu0)
		})
		// Cold keys: no key cache, every public key lifted every time.
		b.Run(fmt.Sprintf("batch/n=%d", n), func(b *testing.B) {
			v := NewBatchVerifier(BatchConfig{Rand: rand.Reader, KeyCacheSize: -1})
			cpu0, _ := processCPU()
			for b.Loop() {
				if err := v.VerifyTxs(txs); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, n, cpu0)
		})
		// Warm keys: the signers' keys are in the lifted-key cache, as for
		// accounts that have signed before.
		b.Run(fmt.Sprintf("batch-keycache/n=%d", n), func(b *testing.B) {
			v := NewBatchVerifier(BatchConfig{Rand: rand.Reader})
			if err := v.VerifyTxs(txs); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0, _ := processCPU()
			for b.Loop() {
				if err := v.VerifyTxs(txs); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, n, cpu0)
		})
	}
}

// reportRates reports signatures per wall second and CPU microseconds per
// signature (all goroutines; less sensitive to other load on the machine).
func reportRates(b *testing.B, n int, cpu0 time.Duration) {
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "sigs/s")
	if cpu1, ok := processCPU(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(n*b.N), "cpu-us/sig")
	}
}
