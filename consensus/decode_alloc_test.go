package consensus

import (
	"encoding/binary"
	"math"
	"runtime"
	"testing"
)

// TestDecodeBlockCountBeforeAlloc checks that a block claiming more
// transactions than it can hold is refused with ErrDecode before anything
// proportional to the claim is allocated: the decode of each input may
// allocate only a few small objects (the error), however large the claim.
func TestDecodeBlockCountBeforeAlloc(t *testing.T) {
	hdr := sampleBlock(t).Header.Encode()
	block := func(count uint32, rest int) []byte {
		b := append(append([]byte(nil), hdr...), binary.BigEndian.AppendUint32(nil, count)...)
		return append(b, make([]byte, rest)...)
	}
	full := MaxBlockSizeLimit - HeaderSize - 4 // body bytes of a maximum-size block
	tests := []struct {
		name     string
		in       []byte
		maxBytes uint64 // allocated per decode
	}{
		{"2^32-1 txs, 100 bytes", block(math.MaxUint32, 100), 1 << 10},
		{"2^32-1 txs, maximum size", block(math.MaxUint32, full), 1 << 10},
		{"MaxBlockTxsLimit+1 txs, maximum size", block(MaxBlockTxsLimit+1, full), 1 << 10},
		{"2^31 txs, 8 bytes", block(1<<31, 8), 1 << 10},
		// The count fits the bytes but the first tx is garbage: the tx
		// slice is capped at preallocTxs, not sized from the claim.
		{"MaxBlockTxsLimit txs of garbage", append(block(MaxBlockTxsLimit, 0), bytesOf(0xee, full)...), 8*preallocTxs + 1<<10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeBlock(tc.in); !isCode(err, ErrDecode) {
				t.Fatalf("got %v, want ErrDecode", err)
			}
			const runs = 20
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			allocs := testing.AllocsPerRun(runs, func() { _, _ = DecodeBlock(tc.in) })
			runtime.ReadMemStats(&after)
			perRun := (after.TotalAlloc - before.TotalAlloc) / (runs + 1) // AllocsPerRun adds a warm-up run
			t.Logf("%.0f allocations, %d bytes per decode", allocs, perRun)
			if perRun > tc.maxBytes {
				t.Fatalf("decode allocated %d bytes, want at most %d", perRun, tc.maxBytes)
			}
			if allocs > 16 {
				t.Fatalf("decode made %.0f allocations, want a handful", allocs)
			}
		})
	}
}

func bytesOf(v byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}
