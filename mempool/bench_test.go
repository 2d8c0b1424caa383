package mempool

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

const (
	benchSenders = 4096
	benchNonces  = 8
)

var (
	benchOnce   sync.Once
	benchCorpus []*consensus.Tx // nonce-major: every sender's nonce 0, then 1, ...
	benchState  *memState
)

// addCorpus signs the transfers once; signing is not what is measured.
func addCorpus(b *testing.B) ([]*consensus.Tx, *memState) {
	benchOnce.Do(func() {
		p := consensus.RegtestParams()
		rng := rand.New(rand.NewPCG(7, 7))
		benchState = newMemState()
		keys := make([]*key, benchSenders)
		for i := range keys {
			keys[i] = newKey(i)
			benchState.set(keys[i].addr, 1e12, 0)
		}
		for n := range benchNonces {
			for _, k := range keys {
				benchCorpus = append(benchCorpus, k.tx(b, p, uint64(n), 1000+rng.Uint64N(50_000), withMemo(rng.IntN(32))))
			}
		}
	})
	return benchCorpus, benchState
}

func benchPool(st *memState) *Pool {
	return New(Config{Params: consensus.RegtestParams(), State: st})
}

// BenchmarkAdd measures Add on pre-signed transfers from many senders,
// signature verification included. The pool is refilled from empty each
// time the corpus runs out.
func BenchmarkAdd(b *testing.B) {
	corpus, st := addCorpus(b)
	b.Run("serial", func(b *testing.B) {
		p := benchPool(st)
		b.ResetTimer()
		for i := range b.N {
			j := i % len(corpus)
			if j == 0 && i > 0 {
				b.StopTimer()
				p = benchPool(st)
				b.StartTimer()
			}
			if _, err := p.Add(corpus[j]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	})
	b.Run("parallel", func(b *testing.B) {
		// One pool per pass over the corpus; goroutines share it.
		var next atomic.Int64
		p := benchPool(st)
		var mu sync.Mutex
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1) - 1)
				j := i % len(corpus)
				mu.Lock()
				if j == 0 && i > 0 {
					p = benchPool(st)
				}
				pool := p
				mu.Unlock()
				// Racing passes may see a tx as known or its nonce as
				// used; only unexpected errors matter.
				_, _ = pool.Add(corpus[j])
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	})
}

// BenchmarkTemplate50k builds a full regtest block template from a pool of
// 50,000 txs across 5,000 senders.
func BenchmarkTemplate50k(b *testing.B) {
	const senders, perSender = 5000, 10
	params := consensus.RegtestParams()
	st := newMemState()
	p := New(Config{Params: params, State: st})
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range senders {
		k := newKey(i)
		st.set(k.addr, 1e12, 0)
		for n := range perSender {
			// Unsigned: the template never checks signatures, and signing
			// 50k txs would dominate the setup. Insert past Add's verify step.
			tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: params.ChainID, Nonce: uint64(n),
				To: sink, Amount: 1000, Fee: 1000 + rng.Uint64N(100_000), Memo: make([]byte, rng.IntN(64))}
			copy(tx.PubKey[:], k.priv.PubKey().SerializeCompressed()[1:])
			e, err := p.prepare(tx)
			if err == nil {
				err = p.admit(e, true) // true: treat as verified
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if p.Count() != senders*perSender {
		b.Fatalf("pool has %d txs", p.Count())
	}
	maxTxs, maxBytes := params.MaxBlockTxs-1, params.MaxBlockSize-blockOverhead
	b.ResetTimer()
	var n int
	for range b.N {
		n = len(p.Template(maxTxs, maxBytes))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
	b.ReportMetric(float64(n), "txs")
}

var (
	replayOnce   sync.Once
	replayCorpus []*consensus.Tx
	replayBefore *memState // the senders' state before the block that mined the corpus
	replayAfter  *memState // and after it
)

// replayTxs signs a block's worth of transfers (5,000: 100 senders x 50
// nonces) and the states before and after a block that mines them all.
func replayTxs(b *testing.B) ([]*consensus.Tx, *memState, *memState) {
	replayOnce.Do(func() {
		p := consensus.RegtestParams()
		keys := make([]*key, 100)
		replayBefore, replayAfter = newMemState(), newMemState()
		for i := range keys {
			keys[i] = newKey(10_000 + i)
			replayBefore.set(keys[i].addr, 1e12, 0)
			replayAfter.set(keys[i].addr, 1e12, 0)
		}
		replayCorpus = signAll(b, p, keys, 50)
		replayAfter.connect(b, replayCorpus...)
	})
	return replayCorpus, replayBefore, replayAfter
}

// BenchmarkReplayFlood measures the victim's CPU time per 1,000 replayed
// txs: a peer resubmits a block's worth of already-mined, validly signed
// txs, round after round. Round 1 is decided on state (nonce too low,
// before the signature); later rounds hit the recently-rejected filter.
// "fresh" admits the same txs to a pool that has not seen the block: the
// signature-bound cost every replay round had before state checks came
// first. CPU time is the whole process's (getrusage), so GC counts too.
func BenchmarkReplayFlood(b *testing.B) {
	txs, before, after := replayTxs(b)
	params := consensus.RegtestParams()
	perK := func(d time.Duration, rounds int) float64 {
		return float64(d.Microseconds()) / 1000 / float64(rounds) / (float64(len(txs)) / 1000)
	}
	measure := func(f func()) (cpu, wall time.Duration) {
		c0, ok := processCPU()
		w0 := time.Now()
		f()
		wall = time.Since(w0)
		if c1, ok1 := processCPU(); ok && ok1 {
			cpu = c1 - c0
		} else {
			cpu = wall
		}
		return cpu, wall
	}
	b.Run("fresh", func(b *testing.B) {
		var cpu time.Duration
		for range b.N {
			p := New(Config{Params: params, State: before})
			c, _ := measure(func() {
				for _, tx := range txs {
					if _, err := p.Add(tx); err != nil {
						b.Fatal(err)
					}
				}
			})
			cpu += c
		}
		b.ReportMetric(perK(cpu, b.N), "cpu-ms/1k-txs")
	})
	b.Run("replay", func(b *testing.B) {
		const rounds = 5 // round 1, then 4 later rounds
		var first, later time.Duration
		var sigs, hits uint64
		for range b.N {
			p := New(Config{Params: params, State: after})
			for r := range rounds {
				c, _ := measure(func() {
					for _, tx := range txs {
						if _, err := p.Add(tx); !errors.Is(err, Error{Code: ErrNonceTooLow}) {
							b.Fatalf("replay: %v", err)
						}
					}
				})
				if r == 0 {
					first += c
				} else {
					later += c
				}
			}
			st := p.Stats()
			sigs, hits = sigs+st.SigVerifications, hits+st.RejectedCacheHits
		}
		b.ReportMetric(perK(first, b.N), "round1-cpu-ms/1k-txs")
		b.ReportMetric(perK(later, b.N*(rounds-1)), "later-cpu-ms/1k-txs")
		b.ReportMetric(float64(sigs)/float64(b.N), "sig-checks/run")
		b.ReportMetric(float64(hits)/float64(b.N), "filter-hits/run")
	})
}
