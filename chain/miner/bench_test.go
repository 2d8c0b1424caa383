package miner

import (
	"context"
	"crypto/sha256"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// BenchmarkMinerHashesPerThread measures one Solve thread on an unsolvable
// target, in header hashes per second.
func BenchmarkMinerHashesPerThread(b *testing.B) {
	hdr := consensus.Header{Version: 1, Bits: 0x03000001, Timestamp: time.Now().Unix()}
	var n atomic.Uint64
	b.ResetTimer()
	start := time.Now()
	Solve(context.Background(), hdr, 1, uint64(b.N), &n)
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "hashes/s")
}

// BenchmarkRawDoubleSHA256Header80 is the bound: double SHA-256 of an
// 80-byte buffer, as Bitcoin hashes its header.
func BenchmarkRawDoubleSHA256Header80(b *testing.B) {
	var buf [80]byte
	start := time.Now()
	for i := 0; i < b.N; i++ {
		buf[79] = byte(i)
		first := sha256.Sum256(buf[:])
		_ = sha256.Sum256(first[:])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "hashes/s")
}
