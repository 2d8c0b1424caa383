package chain_test

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
)

const (
	benchAccounts = 10_000
	benchTxs      = 2_000
)

// benchChain holds the pre-generated, pre-signed benchmark blocks, shared by
// every benchmark run and extended on demand.
var benchChain struct {
	mu     sync.Mutex
	g      *chaintest.Gen
	rng    *rand.Rand
	blocks []*consensus.Block
}

// benchBlocks returns at least n consecutive blocks of benchTxs transfers
// between random funded accounts. Generation (including signing, on all
// cores) happens outside any timer the caller runs.
func benchBlocks(b *testing.B, n int) (*chaintest.Gen, []*consensus.Block) {
	b.Helper()
	bc := &benchChain
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if bc.g == nil {
		g, err := chaintest.New(chaintest.Options{Name: "bench", Keys: benchAccounts})
		if err != nil {
			b.Fatal(err)
		}
		bc.g, bc.rng = g, rand.New(rand.NewPCG(1, 2))
	}
	g, rng := bc.g, bc.rng
	for len(bc.blocks) < n {
		parent := "genesis"
		if h := len(bc.blocks); h > 0 {
			parent = fmt.Sprintf("b%d", h)
		}
		blk := g.NextBlock(fmt.Sprintf("b%d", len(bc.blocks)+1), parent, func(d *chaintest.Draft) {
			for range benchTxs {
				from := g.Keys[rng.IntN(len(g.Keys))]
				to := g.Keys[rng.IntN(len(g.Keys))]
				d.Transfer(from, to.Addr, 1000+uint64(rng.IntN(1000)), g.Params.MinTxFee)
			}
		})
		if blk.StateErr != nil {
			b.Fatal(blk.StateErr)
		}
		bc.blocks = append(bc.blocks, blk.Block)
	}
	return g, bc.blocks[:n]
}

// BenchmarkConnectBlock2000 measures ProcessBlock of a block of 2,000
// transfers on a chain of 10,000 funded accounts: stage 1 with parallel
// signature verification, stage 2, storing the block, and connecting it
// (account reads, state, undo, tx and address indexes in one LevelDB batch).
func BenchmarkConnectBlock2000(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "NoSync"
		if sync {
			name = "Sync"
		}
		b.Run(name, func(b *testing.B) {
			g, blocks := benchBlocks(b, b.N)
			c, err := chain.Open(chain.Config{Dir: b.TempDir(), Params: g.Params, Now: g.Now, NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			connectAll(b, c, blocks)
		})
	}
}

// BenchmarkConnectBlock2000Warm is BenchmarkConnectBlock2000 (NoSync) with
// every tx already in the signature cache, as when all of a block's txs
// went through this node's mempool first: no signature is verified.
func BenchmarkConnectBlock2000Warm(b *testing.B) {
	g, blocks := benchBlocks(b, b.N)
	// Room for every tx four times over: a set-associative cache evicts
	// a few entries long before it is full.
	cache, err := sigcache.New(max(sigcache.DefaultMaxBytes, 4*sigcache.EntrySize*benchTxs*b.N), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, blk := range blocks {
		for _, tx := range blk.Txs[1:] {
			cache.Add(tx.ID())
		}
	}
	v := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: crand.Reader})
	c, err := chain.Open(chain.Config{Dir: b.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, SigCache: cache, Verifier: v})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	connectAll(b, c, blocks)
	// Each evicted id costs exactly one verification; nothing else may.
	if n, ev := v.Stats().Signatures, cache.Stats().Evictions; n != ev {
		b.Fatalf("%d signatures verified with every tx cached (%d evicted)", n, ev)
	}
}

// BenchmarkRawSchnorrVerifyAllCores verifies the same 2,000 signatures with
// consensus.VerifySignatures on GOMAXPROCS goroutines: the ceiling for
// BenchmarkConnectBlock2000.
func BenchmarkRawSchnorrVerifyAllCores(b *testing.B) {
	_, blocks := benchBlocks(b, 1)
	txs := blocks[0].Txs[1:]
	workers := runtime.GOMAXPROCS(0)
	b.ResetTimer()
	cpu0, _ := processCPU()
	for i := 0; i < b.N; i++ {
		if err := consensus.VerifySignatures(txs, workers); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportTxRates(b, len(txs)*b.N, cpu0, "verifications/s")
}

// BenchmarkBatchVerifyAllCores is BenchmarkRawSchnorrVerifyAllCores with the
// batch verifier block checks use (its key cache warm after the first run,
// as on a node whose accounts sign repeatedly).
func BenchmarkBatchVerifyAllCores(b *testing.B) {
	_, blocks := benchBlocks(b, 1)
	txs := blocks[0].Txs[1:]
	v := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: crand.Reader})
	b.ResetTimer()
	cpu0, _ := processCPU()
	for i := 0; i < b.N; i++ {
		if err := v.VerifyTxs(txs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportTxRates(b, len(txs)*b.N, cpu0, "verifications/s")
}

// connectAll times ProcessBlock of blocks[:b.N], each of which must become
// the tip, and reports the tx rates.
func connectAll(b *testing.B, c *chain.Chain, blocks []*consensus.Block) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, _ := processCPU()
	for i := 0; i < b.N; i++ {
		if main, _, err := c.ProcessBlock(blocks[i]); err != nil || !main {
			b.Fatalf("block %d: main=%v err=%v", i+1, main, err)
		}
	}
	b.StopTimer()
	reportTxRates(b, benchTxs*b.N, cpu0, "tx/s")
}

// reportTxRates reports items per wall second under unit, and CPU
// microseconds per item (all goroutines; less sensitive to other load).
func reportTxRates(b *testing.B, items int, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), unit)
	if cpu1, ok := processCPU(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(items), "cpu-us/item")
	}
}
