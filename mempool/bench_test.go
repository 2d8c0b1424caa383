package mempool

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

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
