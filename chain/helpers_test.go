package chain_test

import (
	"errors"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// openChain opens a chain over g's network in dir with g's fixed clock.
func openChain(t testing.TB, dir string, g *chaintest.Gen, noSync bool) *chain.Chain {
	t.Helper()
	c, err := chain.Open(chain.Config{Dir: dir, Params: g.Params, Now: g.Now, NoSync: noSync})
	if err != nil {
		t.Fatalf("open chain: %v", err)
	}
	return c
}

// newChain opens a fresh chain in a temp dir, closed at cleanup.
func newChain(t testing.TB, g *chaintest.Gen) *chain.Chain {
	t.Helper()
	c := openChain(t, t.TempDir(), g, true)
	t.Cleanup(func() { c.Close() })
	return c
}

// ruleCode returns the consensus rule code carried by err (0 if none).
func ruleCode(err error) consensus.ErrorCode {
	var re consensus.RuleError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// mustAccept processes blocks that must each land on the main chain.
func mustAccept(t testing.TB, c *chain.Chain, blocks ...*chaintest.Block) {
	t.Helper()
	for _, b := range blocks {
		main, orphan, err := c.ProcessBlock(b.Block)
		if err != nil || !main || orphan {
			t.Fatalf("block %s (height %d): main=%v orphan=%v err=%v, want accepted on the main chain", b.Name, b.Height, main, orphan, err)
		}
	}
}

// submitHeaderFirst processes b the way sync delivers a branch: its header
// first (ProcessHeaders, as after header pre-sync found the branch worth
// it), then its body. Plain ProcessBlock refuses side blocks with less work
// than the tip (chain.ErrLowWork).
func submitHeaderFirst(c *chain.Chain, b *consensus.Block) (main, orphan bool, err error) {
	if c.HaveHeader(b.Header.PrevHash) && !c.HaveHeader(b.Hash()) {
		if _, err := c.ProcessHeaders([]consensus.Header{b.Header}); err != nil {
			return false, false, err
		}
	}
	return c.ProcessBlock(b)
}

// headersFirst stores the headers of blocks (a branch in order) as header sync
// would, so their bodies are wanted whatever order they arrive in.
func headersFirst(t testing.TB, c *chain.Chain, blocks ...*chaintest.Block) {
	t.Helper()
	hs := make([]consensus.Header, len(blocks))
	for i, b := range blocks {
		hs[i] = b.Block.Header
	}
	if _, err := c.ProcessHeaders(hs); err != nil {
		t.Fatalf("headers of %s..: %v", blocks[0].Name, err)
	}
}

// mustSide processes blocks that must be stored without becoming the tip
// (headers first: a side branch with less work arrives through sync).
func mustSide(t testing.TB, c *chain.Chain, blocks ...*chaintest.Block) {
	t.Helper()
	for _, b := range blocks {
		main, orphan, err := submitHeaderFirst(c, b.Block)
		if err != nil || main || orphan {
			t.Fatalf("block %s (height %d): main=%v orphan=%v err=%v, want a side block", b.Name, b.Height, main, orphan, err)
		}
	}
}

// mustReject processes b, which must fail with rule code.
func mustReject(t testing.TB, c *chain.Chain, b *chaintest.Block, code consensus.ErrorCode) {
	t.Helper()
	main, orphan, err := c.ProcessBlock(b.Block)
	if got := ruleCode(err); got != code || main || orphan {
		t.Fatalf("block %s: main=%v orphan=%v err=%v (code %v), want rejection with %v", b.Name, main, orphan, err, got, code)
	}
}

// feed processes every block of g's path to name into c.
func feed(t testing.TB, c *chain.Chain, g *chaintest.Gen, name string) {
	t.Helper()
	mustAccept(t, c, g.Path(name)...)
}

// checkState asserts c's tip is block name and its state is exactly what the
// generator expects there: digest, and every key's and the miner's account.
func checkState(t testing.TB, c *chain.Chain, g *chaintest.Gen, name string) {
	t.Helper()
	want := g.Block(name)
	tip := c.Tip()
	if tip.Hash != want.Hash || tip.Height != want.Height {
		got := "?"
		if b := g.ByHash(tip.Hash); b != nil {
			got = b.Name
		}
		t.Fatalf("tip is %s (%s, height %d), want %s (%s, height %d)", got, tip.Hash, tip.Height, name, want.Hash, want.Height)
	}
	si, err := c.StateInfo()
	if err != nil {
		t.Fatalf("state info: %v", err)
	}
	if si.BestHash != want.Hash || si.Height != want.Height {
		t.Fatalf("state info at %s/%d, want %s/%d", si.BestHash, si.Height, want.Hash, want.Height)
	}
	if d := g.Digest(name); si.Digest != d {
		t.Fatalf("state digest at %s is %s, generator expects %s", name, si.Digest, d)
	}
	if si.Accounts != uint64(len(want.State)) {
		t.Fatalf("%d accounts, want %d", si.Accounts, len(want.State))
	}
	for _, k := range append(append([]*chaintest.Key(nil), g.Keys...), g.Miner) {
		got, err := c.Account(k.Addr)
		if err != nil {
			t.Fatalf("account: %v", err)
		}
		if w := want.State[k.Addr]; got != w {
			t.Fatalf("after %s account %s is %+v, want %+v", name, k.Seed, got, w)
		}
	}
}

// digestOf returns c's state digest.
func digestOf(t testing.TB, c *chain.Chain) consensus.Hash {
	t.Helper()
	si, err := c.StateInfo()
	if err != nil {
		t.Fatalf("state info: %v", err)
	}
	return si.Digest
}

// cleanDigest feeds only the path to name into a fresh chain and returns its
// tip hash and digest: what any node that never saw another branch holds.
func cleanDigest(t testing.TB, g *chaintest.Gen, name string) (consensus.Hash, consensus.Hash) {
	t.Helper()
	c := openChain(t, t.TempDir(), g, true)
	defer c.Close()
	feed(t, c, g, name)
	return c.Tip().Hash, digestOf(t, c)
}

// tipStatus returns the status Tips() reports for the leaf h ("" if h is
// not a leaf).
func tipStatus(c *chain.Chain, h consensus.Hash) string {
	for _, tp := range c.Tips() {
		if tp.Hash == h {
			return tp.Status
		}
	}
	return ""
}

// blockStatus returns BlockInfo's status for h.
func blockStatus(t testing.TB, c *chain.Chain, h consensus.Hash) string {
	t.Helper()
	bi, err := c.BlockInfo(h)
	if err != nil {
		t.Fatalf("block info %s: %v", h, err)
	}
	return bi.Status
}
