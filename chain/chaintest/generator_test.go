package chaintest

import (
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

// The generator must be deterministic (other processes regenerate the same
// network) and its blocks must pass the stateless rules unless mutated.
func TestGeneratorDeterministic(t *testing.T) {
	build := func() *Gen {
		g := MustNew(Options{Name: "det", Keys: 4})
		g.NextBlock("b1", "genesis", Pay(g.Keys[0], g.Keys[1].Addr, 5, g.Params.MinTxFee), Pay(g.Keys[0], g.Keys[2].Addr, 6, g.Params.MinTxFee))
		g.NextBlock("b2", "b1", Pay(g.Keys[1], g.Keys[0].Addr, 7, g.Params.MinTxFee))
		return g
	}
	a, b := build(), build()
	if a.Params.GenesisHash != b.Params.GenesisHash || a.Block("b2").Hash != b.Block("b2").Hash {
		t.Fatal("generator is not deterministic")
	}
	if a.Digest("b2") != b.Digest("b2") {
		t.Fatal("expected state is not deterministic")
	}
	for _, blk := range a.Path("b2") {
		if err := consensus.CheckBlockSanity(blk.Block, a.Params, 0); err != nil {
			t.Fatalf("%s: %v", blk.Name, err)
		}
		if blk.StateErr != nil {
			t.Fatalf("%s: %v", blk.Name, blk.StateErr)
		}
	}
	if n := a.Account("b2", a.Keys[0].Addr).Nonce; n != 2 {
		t.Fatalf("k0 nonce %d, want 2", n)
	}
	bad := a.NextBlock("bad", "b2", BadPoW())
	if consensus.CodeOf(consensus.CheckBlockSanity(bad.Block, a.Params, 0)) != consensus.ErrHighHash {
		t.Fatal("BadPoW block has valid work")
	}
	over := a.NextBlock("over", "b2", Pay(a.Keys[3], a.Keys[0].Addr, a.Account("b2", a.Keys[3].Addr).Balance, a.Params.MinTxFee))
	if over.StateErr == nil {
		t.Fatal("overspend not predicted")
	}
}
