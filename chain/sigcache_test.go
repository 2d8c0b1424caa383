package chain_test

import (
	"crypto/rand"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
)

// TestMempoolFedBlockVerifiesNoSignature: a block whose txs all went through
// the mempool connects without verifying any signature again (the shared
// cache vouches for them and is consumed); a block of unseen txs is
// batch-verified in full.
func TestMempoolFedBlockVerifiesNoSignature(t *testing.T) {
	g, err := chaintest.New(chaintest.Options{Name: "sigcache", Keys: 12})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := sigcache.New(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, Verifier: v, SigCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pool := mempool.New(mempool.Config{Params: g.Params, State: c, SigCache: cache})

	fill := func(name, parent string, n int) *chaintest.Block {
		return g.NextBlock(name, parent, func(d *chaintest.Draft) {
			for i := range n {
				d.Transfer(g.Keys[i%len(g.Keys)], g.Keys[(i+1)%len(g.Keys)].Addr, 1000+uint64(i), g.Params.MinTxFee)
			}
		})
	}
	b1 := fill("b1", "genesis", 30)
	for _, tx := range b1.Block.Txs[1:] {
		if _, err := pool.Add(tx); err != nil {
			t.Fatalf("pool add: %v", err)
		}
	}
	if st := pool.Stats(); st.SigVerifications != 30 || st.SigCacheHits != 0 {
		t.Fatalf("pool verified %d, cache hits %d; want 30, 0", st.SigVerifications, st.SigCacheHits)
	}
	if cs := cache.Stats(); cs.Entries != 30 {
		t.Fatalf("cache holds %d ids after 30 accepted txs", cs.Entries)
	}
	if main, _, err := c.ProcessBlock(b1.Block); err != nil || !main {
		t.Fatalf("b1: main=%v err=%v", main, err)
	}
	if n := v.Stats().Signatures; n != 0 {
		t.Fatalf("connecting a block of pool txs verified %d signatures, want 0", n)
	}
	cs := cache.Stats()
	if cs.Hits != 30 || cs.Entries != 0 {
		t.Fatalf("cache hits %d, entries left %d; want 30 hits and every entry consumed", cs.Hits, cs.Entries)
	}

	// Unseen txs: every signature is verified, as one batch.
	b2 := fill("b2", "b1", 25)
	if main, _, err := c.ProcessBlock(b2.Block); err != nil || !main {
		t.Fatalf("b2: main=%v err=%v", main, err)
	}
	if s := v.Stats(); s.Signatures != 25 || s.Batches != 1 || s.Bisections != 0 {
		t.Fatalf("b2 stats %+v, want 25 signatures in one batch", s)
	}

	// Half seen: only the unseen half is verified.
	b3 := fill("b3", "b2", 20)
	for _, tx := range b3.Block.Txs[1:11] {
		if _, err := pool.Add(tx); err != nil {
			t.Fatalf("pool add: %v", err)
		}
	}
	if main, _, err := c.ProcessBlock(b3.Block); err != nil || !main {
		t.Fatalf("b3: main=%v err=%v", main, err)
	}
	if n := v.Stats().Signatures; n != 25+10 {
		t.Fatalf("%d signatures verified in total, want %d", n, 35)
	}
}

// TestBadSignatureBlockWithCache: a cached tx does not hide a bad signature
// elsewhere in the block; the error is the one-by-one error.
func TestBadSignatureBlockWithCache(t *testing.T) {
	g, err := chaintest.New(chaintest.Options{Name: "sigcache-bad", Keys: 6})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := sigcache.New(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, SigCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := g.NextBlock("bad", "genesis", func(d *chaintest.Draft) {
		for i := range 12 {
			d.Transfer(g.Keys[i%6], g.Keys[(i+1)%6].Addr, 5000, g.Params.MinTxFee)
		}
		d.Munge = append(d.Munge, func(b *consensus.Block) {
			b.Txs[8].Sig[5] ^= 1
			b.Txs[11].Sig[50] ^= 1
			b.Header.MerkleRoot = consensus.MerkleRoot(b.TxIDs())
		})
	})
	for _, tx := range b.Block.Txs[1:8] {
		cache.Add(tx.ID())
	}
	want := consensus.CheckBlockSanity(b.Block, g.Params, 1)
	if consensus.CodeOf(want) != consensus.ErrBadSignature {
		t.Fatalf("reference: %v", want)
	}
	_, _, got := c.ProcessBlock(b.Block)
	if got == nil || got.Error() != want.Error() {
		t.Fatalf("ProcessBlock: %v, want %v", got, want)
	}
}
