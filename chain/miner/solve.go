package miner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// nonceOffset is where Header.Nonce sits in the 108-byte encoding.
const nonceOffset = 4 + consensus.HashSize + consensus.HashSize + 8 + 4

// Solve searches nonces for hdr on `threads` goroutines, thread i trying
// i, i+threads, ... It stops when a solution is found (returned with ok),
// when ctx ends, or after maxTries nonces per thread (0 = the whole space).
// Every hash tried is added to counter, if non-nil.
func Solve(ctx context.Context, hdr consensus.Header, threads int, maxTries uint64, counter *atomic.Uint64) (consensus.Header, bool) {
	if threads < 1 {
		threads = 1
	}
	target, neg, over := consensus.CompactToTarget(hdr.Bits)
	if neg || over || target.IsZero() {
		return hdr, false
	}
	var (
		wg    sync.WaitGroup
		found atomic.Bool
		mu    sync.Mutex
		sol   consensus.Header
	)
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(start uint64) {
			defer wg.Done()
			buf := hdr.Encode()
			var hv uint256.Int
			var local uint64
			defer func() {
				if counter != nil {
					counter.Add(local)
				}
			}()
			for nonce := start; maxTries == 0 || local < maxTries; nonce += uint64(threads) {
				if local&0x3fff == 0 && (found.Load() || ctx.Err() != nil) {
					return
				}
				binary.BigEndian.PutUint64(buf[nonceOffset:], nonce)
				first := sha256.Sum256(buf)
				h := sha256.Sum256(first[:])
				local++
				hv.SetBytes32(h[:])
				if !hv.Gt(target) {
					if found.CompareAndSwap(false, true) {
						mu.Lock()
						sol = hdr
						sol.Nonce = nonce
						mu.Unlock()
					}
					return
				}
				if nonce > ^uint64(0)-uint64(threads) {
					return // space exhausted: caller rolls the extra nonce
				}
			}
		}(uint64(t))
	}
	wg.Wait()
	if !found.Load() {
		return hdr, false
	}
	return sol, true
}
