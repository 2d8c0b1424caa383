package p2p

import (
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
)

// Two nodes that mined competing branches while apart (one longer, so more
// work on this fixed-difficulty network) converge on the longer branch once
// connected, with identical state.
func TestCompetingBranchesConverge(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pfork", Keys: 4})
	// Batches of 8 headers: a only reorganises after the third batch, so
	// the second and third requests must continue b's branch rather than
	// restart from a's (still heavier) main chain.
	a := newNode(t, gen.Params, "a", "", func(cfg *Config) { cfg.headersBatch = 8 })
	b := newNode(t, gen.Params, "b", "")

	// Each branch spends a different key's funds so the states differ.
	txA := gen.Tx(gen.Keys[0], 0, gen.Keys[1].Addr, 7000, gen.Params.MinTxFee, nil)
	txB := gen.Tx(gen.Keys[2], 0, gen.Keys[3].Addr, 9000, gen.Params.MinTxFee, nil)
	if _, err := a.pool.Add(txA); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Add(txB); err != nil {
		t.Fatal(err)
	}
	a.mine(t, 20, chaintest.NewKey("miner-a").Addr)
	b.mine(t, 30, chaintest.NewKey("miner-b").Addr)
	if digest(t, a) == digest(t, b) {
		t.Fatal("branches should differ before connecting")
	}
	want := b.chain.Tip()

	connect(t, a, b)
	waitFor(t, 30*time.Second, "a reorganised onto b's branch", func() bool { return sameTip(a, b) })
	if got := a.chain.Tip(); got.Hash != want.Hash || got.Height != 30 {
		t.Fatalf("a tip %s at %d, want b's %s at 30", got.Hash, got.Height, want.Hash)
	}
	if digest(t, a) != digest(t, b) {
		t.Fatal("state digests differ after convergence")
	}
	if s := a.node.Stats(); s.BlocksFetched[b.node.ID()] != 30 || s.HeadersFetched != 30 {
		t.Fatalf("a fetched %d blocks and %d headers of b's branch, want 30 and 30", s.BlocksFetched[b.node.ID()], s.HeadersFetched)
	}
	if b.chain.Tip().Hash != want.Hash {
		t.Fatal("b left its (heavier) branch")
	}
	// a's orphaned tx is back in its pool, valid on the new branch.
	waitFor(t, 5*time.Second, "txA back in a's mempool", func() bool { return a.pool.Has(txA.ID()) })
}
