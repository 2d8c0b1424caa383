package chain_test

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
)

// TestPreverifyWindow: Preverify over a window whose third block has a bad
// signature caches the two blocks before it (they then connect verifying
// nothing) and neither the bad block nor the one after it, which
// ProcessBlock refuses with exactly the error of a chain without Preverify.
func TestPreverifyWindow(t *testing.T) {
	const txs = 15
	g, err := chaintest.New(chaintest.Options{Name: "preverify", Keys: txs})
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*consensus.Block
	parent := "genesis"
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("w%d", i)
		muts := []chaintest.Mutator{func(d *chaintest.Draft) {
			for k := range txs {
				d.Transfer(g.Keys[k], g.Keys[(k+1)%txs].Addr, 1000, g.Params.MinTxFee)
			}
		}}
		if i == 3 {
			muts = append(muts, chaintest.BadSignature(9))
		}
		blocks = append(blocks, g.NextBlock(name, parent, muts...).Block)
		parent = name
	}
	open := func(cache *sigcache.Cache) (*chain.Chain, *consensus.BatchVerifier) {
		v := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
		c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, Verifier: v, SigCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, v
	}
	ref, _ := open(nil)
	for _, b := range blocks[:2] {
		if _, _, err := ref.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	_, _, want := ref.ProcessBlock(blocks[2])
	if consensus.CodeOf(want) != consensus.ErrBadSignature {
		t.Fatalf("reference: %v", want)
	}

	cache, err := sigcache.New(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, v := open(cache)
	if st := c.Preverify(blocks); st.Verified != 2*txs || st.Failed != 2 || st.Cached != 0 {
		t.Fatalf("Preverify: %+v, want %d verified and 2 blocks failed", st, 2*txs)
	}
	for i, b := range blocks {
		for _, tx := range b.Txs[1:] {
			if got, wantIn := cache.Has(tx.ID()), i < 2; got != wantIn {
				t.Fatalf("block %d tx cached=%v, want %v", i+1, got, wantIn)
			}
		}
	}
	before := v.Stats().Signatures
	for _, b := range blocks[:2] {
		if main, _, err := c.ProcessBlock(b); err != nil || !main {
			t.Fatalf("main=%v err=%v", main, err)
		}
	}
	if n := v.Stats().Signatures - before; n != 0 {
		t.Fatalf("preverified blocks verified %d signatures again", n)
	}
	if _, _, got := c.ProcessBlock(blocks[2]); got == nil || got.Error() != want.Error() {
		t.Fatalf("bad block: %v, want %v", got, want)
	}
	// The block after the bad one was left out, not condemned: on its own
	// its signatures verify.
	if st := c.Preverify(blocks[3:]); st.Cached != 0 || st.Verified != txs {
		t.Fatalf("Preverify of the last block alone: %+v", st)
	}
}

// TestPreverifyWithoutCache does nothing and verifies nothing.
func TestPreverifyWithoutCache(t *testing.T) {
	g, err := chaintest.New(chaintest.Options{Name: "preverify-nocache", Keys: 3})
	if err != nil {
		t.Fatal(err)
	}
	v := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := g.NextBlock("x", "genesis", chaintest.Pay(g.Keys[0], g.Keys[1].Addr, 1000, g.Params.MinTxFee)).Block
	if st := c.Preverify([]*consensus.Block{b}); st != (chain.PreverifyStats{}) || v.Stats().Signatures != 0 {
		t.Fatalf("Preverify without a cache: %+v, %d signatures", st, v.Stats().Signatures)
	}
}
