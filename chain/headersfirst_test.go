package chain_test

import (
	"errors"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

func hdrs(blocks ...*chaintest.Block) []consensus.Header {
	out := make([]consensus.Header, len(blocks))
	for i, b := range blocks {
		out[i] = b.Block.Header
	}
	return out
}

// A fork with less work than the tip is refused before its signatures are
// checked and leaves nothing in the index or on disk.
func TestLowWorkForkNotStored(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "lowwork", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 10, spendFrom: 0, spendTo: 1})
	mustAccept(t, c, mainB...)
	// f1's second transfer carries a bad signature: the refusal must be
	// ErrLowWork, proving no signature was verified.
	f1 := g.NextBlock("f1", "genesis", chaintest.Pay(g.Keys[2], g.Keys[3].Addr, consensus.Coin, g.Params.MinTxFee),
		chaintest.Pay(g.Keys[3], g.Keys[2].Addr, consensus.Coin, g.Params.MinTxFee), chaintest.BadSignature(1))
	f3 := g.NextBlock("f3", "b2")
	for _, b := range []*chaintest.Block{f1, f3} {
		main, orphan, err := c.ProcessBlock(b.Block)
		if !errors.Is(err, chain.ErrLowWork) || main || orphan {
			t.Fatalf("%s: main=%v orphan=%v err=%v, want ErrLowWork", b.Name, main, orphan, err)
		}
		if c.HaveBlock(b.Hash) || c.HaveHeader(b.Hash) {
			t.Fatalf("%s was stored", b.Name)
		}
		if _, err := c.BlockInfo(b.Hash); !errors.Is(err, chain.ErrNotFound) {
			t.Fatalf("%s: BlockInfo err %v", b.Name, err)
		}
		if _, err := c.BlockRaw(b.Hash); !errors.Is(err, chain.ErrNotFound) {
			t.Fatalf("%s body on disk: %v", b.Name, err)
		}
	}
	// Bad proof of work is still a rule error, whatever the work.
	mustReject(t, c, g.NextBlock("f1-pow", "genesis", chaintest.BadPoW()), consensus.ErrHighHash)
	// A sibling of the tip with equal work is stored (not connected), and
	// its child, with more work, wins.
	s10 := g.NextBlock("s10", "b9")
	mustSide(t, c, s10)
	s11 := g.NextBlock("s11", "s10")
	mustAccept(t, c, s11)
	checkState(t, c, g, "s11")
}

func TestProcessHeaders(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "headers", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 4, spendFrom: 0, spendTo: 1})
	mustAccept(t, c, mainB...)
	side := branch(g, branchSpec{prefix: "s", parent: "b2", from: 3, to: 8, spendFrom: 2, spendTo: 3})

	// Unknown parent, broken linkage and a bad header each store nothing.
	if _, err := c.ProcessHeaders(hdrs(side[1:]...)); !errors.Is(err, chain.ErrUnknownBlock) {
		t.Fatalf("unknown parent: %v", err)
	}
	gap := append(hdrs(side[:2]...), side[3].Block.Header)
	if _, err := c.ProcessHeaders(gap); consensus.CodeOf(err) != consensus.ErrHeaderLink {
		t.Fatalf("gap: %v", err)
	}
	bad := hdrs(side...)
	bad[4].Bits = 0x207ffffe
	chaintest.Solve(&bad[4], true)
	if _, err := c.ProcessHeaders(bad[:5]); consensus.CodeOf(err) != consensus.ErrBadDifficulty {
		t.Fatalf("bad bits: %v", err)
	}
	for _, b := range side {
		if c.HaveHeader(b.Hash) {
			t.Fatalf("%s stored by a refused batch", b.Name)
		}
	}

	bi, err := c.ProcessHeaders(hdrs(side...))
	if err != nil {
		t.Fatal(err)
	}
	if bi.Hash != side[5].Hash || bi.Status != "headers-only" || bi.Height != 8 {
		t.Fatalf("last header info %+v", bi)
	}
	if best := c.BestHeader(); best.Hash != side[5].Hash {
		t.Fatalf("best header %s, want s8", best.Hash)
	}
	checkState(t, c, g, "b4") // headers alone never move the tip
	if c.HaveBlock(side[0].Hash) {
		t.Fatal("HaveBlock true for a header-only block")
	}
	// Submitting the same headers again is a no-op.
	if _, err := c.ProcessHeaders(hdrs(side...)); err != nil {
		t.Fatal(err)
	}

	// Bodies in reverse order: each waits for its parent's body (s3, with
	// less work than b4, is wanted because its header is stored), then the
	// branch connects in one go.
	for i := len(side) - 1; i >= 1; i-- {
		if _, orphan, err := c.ProcessBlock(side[i].Block); err != nil || !orphan {
			t.Fatalf("%s: orphan=%v err=%v", side[i].Name, orphan, err)
		}
	}
	mustAccept(t, c, side[0])
	checkState(t, c, g, "s8")

	// Header-only entries survive a restart; their bodies still connect.
	g2 := chaintest.MustNew(chaintest.Options{Name: "headers2", Keys: 6})
	dir := t.TempDir()
	c2 := openChain(t, dir, g2, true)
	bs := branch(g2, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 6, spendFrom: 0, spendTo: 1})
	mustAccept(t, c2, bs[0])
	if _, err := c2.ProcessHeaders(hdrs(bs[1:]...)); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	c2 = openChain(t, dir, g2, true)
	defer c2.Close()
	if best := c2.BestHeader(); best.Hash != bs[5].Hash || best.Status != "headers-only" {
		t.Fatalf("after restart best header %+v", best)
	}
	mustAccept(t, c2, bs[1:]...)
	checkState(t, c2, g2, "b6")
}

func TestCheckpoints(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "checkpoints", Keys: 6})
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 5, spendFrom: 0, spendTo: 1})
	p := *g.Params
	p.Checkpoints = []consensus.Checkpoint{{Height: 3, Hash: mainB[2].Hash}}
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: &p, Now: g.Now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustAccept(t, c, mainB[:2]...)
	x3 := g.NextBlock("x3", "b2")
	mustReject(t, c, x3, consensus.ErrCheckpointMismatch)
	if _, err := c.ProcessHeaders(hdrs(x3)); consensus.CodeOf(err) != consensus.ErrCheckpointMismatch {
		t.Fatalf("header contradicting a checkpoint: %v", err)
	}
	mustAccept(t, c, mainB[2:]...)
	// Past the checkpoint, no fork may start at or below it, even one with
	// more work.
	x2 := g.NextBlock("x2", "b1")
	mustReject(t, c, x2, consensus.ErrForkBeforeCheckpoint)
	if _, err := c.ProcessHeaders(hdrs(x2)); consensus.CodeOf(err) != consensus.ErrForkBeforeCheckpoint {
		t.Fatalf("header forking below the checkpoint: %v", err)
	}
	// Above it forks are fine.
	mustSide(t, c, g.NextBlock("y5", "b4"))
}

// A reorg towards an equal-work sibling that fails midway returns to the
// first-seen tip, not the sibling.
func TestFailedReorgReturnsToFirstSeen(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "tiefail", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 5, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b4", from: 5, to: 6, spendFrom: 2, spendTo: 3, badAt: 6, freshAddrs: true})
	mustAccept(t, c, mainB...)
	mustSide(t, c, side[0])
	main, _, err := c.ProcessBlock(side[1].Block)
	if consensus.CodeOf(err) != consensus.ErrInsufficientFunds || main {
		t.Fatalf("s6: main=%v err=%v, want ErrInsufficientFunds", main, err)
	}
	checkState(t, c, g, "b5")
}

// After an invalidation, equal-work branches are chosen by first sight,
// not by map order: both submission orders are tried, several times.
func TestInvalidateChoosesFirstSeen(t *testing.T) {
	for round := 0; round < 6; round++ {
		g := chaintest.MustNew(chaintest.Options{Name: "tieinv", Keys: 6})
		c := newChain(t, g)
		mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 5, spendFrom: 0, spendTo: 1})
		x := g.NextBlock("x5", "b4")
		y := g.NextBlock("y5", "b4", chaintest.Pay(g.Keys[2], g.Keys[3].Addr, 1, g.Params.MinTxFee))
		mustAccept(t, c, mainB...)
		first, second := x, y
		if round%2 == 1 {
			first, second = y, x
		}
		mustSide(t, c, first, second)
		if err := c.InvalidateBlock(mainB[4].Hash); err != nil {
			t.Fatal(err)
		}
		checkState(t, c, g, first.Name)
		c.Close()
	}
}

func TestUnsubscribe(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "unsub", Keys: 4})
	c := newChain(t, g)
	bs := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 3, spendFrom: 0, spendTo: 1})
	var a, b eventLog
	unsubA := c.Subscribe(a.add)
	var unsubB func()
	unsubB = c.Subscribe(func(e chain.Event) {
		b.add(e)
		unsubB() // leaving from inside the callback must not deadlock
	})
	mustAccept(t, c, bs[0])
	unsubA()
	unsubA()
	mustAccept(t, c, bs[1:]...)
	if len(a.evs) != 1 || len(b.evs) != 1 {
		t.Fatalf("after unsubscribe: a got %d events, b got %d; want 1 each", len(a.evs), len(b.evs))
	}
}

// The main-chain view answers by height after reorgs in both directions.
func TestViewAfterReorgs(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "view", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 6, spendFrom: 0, spendTo: 1})
	side := branch(g, branchSpec{prefix: "s", parent: "b3", from: 4, to: 8, spendFrom: 2, spendTo: 3})
	mustAccept(t, c, mainB...)
	headersFirst(t, c, side...)
	mustSide(t, c, side[:3]...)
	mustAccept(t, c, side[3:]...)
	check := func(tip string) {
		t.Helper()
		path := g.Path(tip)
		for _, b := range path {
			h, err := c.HashAt(b.Height)
			if err != nil || h != b.Hash {
				t.Fatalf("HashAt(%d) = %s %v, want %s", b.Height, h, err, b.Name)
			}
		}
		if _, err := c.HashAt(uint64(len(path)) + 1); !errors.Is(err, chain.ErrNotFound) {
			t.Fatalf("HashAt above tip: %v", err)
		}
		hs := c.HeadersAfter([]consensus.Hash{g.Block("b2").Hash}, 1000)
		if len(hs) != len(path)-2 || hs[len(hs)-1].Hash() != g.Block(tip).Hash {
			t.Fatalf("HeadersAfter(b2): %d headers", len(hs))
		}
	}
	check("s8")
	if err := c.InvalidateBlock(g.Block("s4").Hash); err != nil {
		t.Fatal(err)
	}
	check("b6")
}
