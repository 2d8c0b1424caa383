package chain_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
)

// Outcomes of a full-block test step.
type outcome int

const (
	accepted outcome = iota // connected: the block is the new tip
	side                    // stored, valid so far, not the tip
	orphaned                // parent unknown: held in the orphan pool
	rejected                // rule error with the step's code
	already                 // chain.ErrAlreadyHave
)

func (o outcome) String() string {
	return [...]string{"accepted", "side", "orphan", "rejected", "already known"}[o]
}

// step builds block `name` on `parent` with mutators and submits it.
type step struct {
	name, parent string
	muts         []chaintest.Mutator
	want         outcome
	code         consensus.ErrorCode
	tip          string // expected tip afterwards ("" = unchanged, or name if accepted)
	reuse        bool   // name is an already generated block: submit it again
}

func m(ms ...chaintest.Mutator) []chaintest.Mutator { return ms }

// runSteps generates and submits each step in order, checking the outcome,
// the tip, and after every tip change the full expected state.
func runSteps(t *testing.T, g *chaintest.Gen, c *chain.Chain, steps []step) {
	t.Helper()
	tipName := "genesis"
	if b := g.ByHash(c.Tip().Hash); b != nil {
		tipName = b.Name
	}
	for i, s := range steps {
		var b *chaintest.Block
		if s.reuse {
			b = g.Block(s.name)
		} else {
			b = g.NextBlock(s.name, s.parent, s.muts...)
		}
		main, orphan, err := c.ProcessBlock(b.Block)
		fail := func() {
			t.Fatalf("step %d (%s on %s): main=%v orphan=%v err=%v (code %v); want %v %v",
				i, s.name, s.parent, main, orphan, err, ruleCode(err), s.want, s.code)
		}
		switch s.want {
		case accepted:
			if err != nil || !main || orphan {
				fail()
			}
		case side:
			if err != nil || main || orphan {
				fail()
			}
		case orphaned:
			if err != nil || main || !orphan {
				fail()
			}
		case rejected:
			if err == nil || main || orphan || ruleCode(err) != s.code {
				fail()
			}
		case already:
			if !errors.Is(err, chain.ErrAlreadyHave) {
				fail()
			}
		}
		switch {
		case s.tip != "":
			tipName = s.tip
		case s.want == accepted:
			tipName = s.name
		}
		checkState(t, c, g, tipName)
	}
}

// TestFullBlocks walks one chain through valid blocks and blocks that break
// exactly one rule each, checking the rule code and that the node's tip and
// state never move on a rejection.
func TestFullBlocks(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "fullblocks", Keys: 8})
	c := newChain(t, g)
	p := g.Params
	k := g.Keys
	coin := consensus.Coin
	fee := p.MinTxFee
	var replayed *consensus.Tx
	steps := []step{
		{name: "b1", parent: "genesis", want: accepted},
		{name: "b2", parent: "b1", muts: m(
			chaintest.Pay(k[0], k[1].Addr, 10*coin, fee),
			chaintest.Pay(k[0], k[2].Addr, 20*coin, 2*fee),
			chaintest.Pay(k[1], k[0].Addr, 5*coin, fee),
			chaintest.Pay(k[3], g.Miner.Addr, 1, fee), // to an account created by coinbases
			func(d *chaintest.Draft) { replayed = d.Txs[0] },
		), want: accepted},

		// Stage 1: proof of work and header.
		{name: "b3-highhash", parent: "b2", muts: m(chaintest.BadPoW()), want: rejected, code: consensus.ErrHighHash},
		{name: "b3-bits", parent: "b2", muts: m(chaintest.Bits(0x207ffffe)), want: rejected, code: consensus.ErrBadDifficulty},
		{name: "b3-bits-easier", parent: "b2", muts: m(chaintest.Bits(0x2100ffff)), want: rejected, code: consensus.ErrBadTargetLimit},
		{name: "b3-version", parent: "b2", muts: m(chaintest.Version(2)), want: rejected, code: consensus.ErrBadVersion},
		{name: "b3-merkle", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, coin, fee), chaintest.BadMerkle()), want: rejected, code: consensus.ErrBadMerkleRoot},
		{name: "b3-miner", parent: "b2", muts: m(chaintest.Munge(func(b *consensus.Block) { b.Header.Miner = k[0].Addr })), want: rejected, code: consensus.ErrBadCoinbase},

		// Stage 1: transactions.
		{name: "b3-sig", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, coin, fee), chaintest.Pay(k[4], k[3].Addr, coin, fee), chaintest.BadSignature(1)), want: rejected, code: consensus.ErrBadSignature},
		{name: "b3-chainid", parent: "b2", muts: m(chaintest.PayChainID(consensus.RegtestParams().ChainID, k[2], k[3].Addr, coin, fee)), want: rejected, code: consensus.ErrWrongChainID},
		{name: "b3-overflow", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, math.MaxUint64-fee+1, fee)), want: rejected, code: consensus.ErrOverflow},
		{name: "b3-dup", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, coin, fee), chaintest.DuplicateTx(0)), want: rejected, code: consensus.ErrDuplicateTx},
		{name: "b3-lowfee", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, coin, fee-1)), want: rejected, code: consensus.ErrFeeTooLow},
		{name: "b3-oversize", parent: "b2", muts: m(chaintest.Stuff(p.MaxBlockSize)), want: rejected, code: consensus.ErrBlockTooBig},

		// Stage 2: context.
		{name: "b3-mtp", parent: "b2", muts: m(chaintest.TimestampMTP(0)), want: rejected, code: consensus.ErrTimeTooOld},
		{name: "b3-before-mtp", parent: "b2", muts: m(chaintest.TimestampMTP(-1)), want: rejected, code: consensus.ErrTimeTooOld},
		{name: "b3-future", parent: "b2", muts: m(chaintest.TimestampNow(p.MaxFutureBlockTime + 1)), want: rejected, code: consensus.ErrTimeTooNew},
		{name: "b3-height", parent: "b2", muts: m(chaintest.CoinbaseHeight(2)), want: rejected, code: consensus.ErrBadHeight},

		// Stage 3: state. These are stored and then marked invalid.
		{name: "b3-gap", parent: "b2", muts: m(chaintest.PayNonce(k[3], k[4].Addr, coin, fee, 1)), want: rejected, code: consensus.ErrBadNonce},
		{name: "b3-replay", parent: "b2", muts: m(func(d *chaintest.Draft) { d.Add(replayed) }), want: rejected, code: consensus.ErrBadNonce},
		{name: "b3-samenonce", parent: "b2", muts: m(chaintest.Pay(k[4], k[5].Addr, coin, fee), chaintest.PayNonce(k[4], k[6].Addr, coin, fee, -1)), want: rejected, code: consensus.ErrBadNonce},
		{name: "b3-overspend", parent: "b2", muts: m(chaintest.Pay(k[5], k[6].Addr, 1000*coin-fee+1, fee)), want: rejected, code: consensus.ErrInsufficientFunds},
		{name: "b3-overspend-2", parent: "b2", muts: m(chaintest.Pay(k[5], k[6].Addr, 600*coin, fee), chaintest.Pay(k[5], k[6].Addr, 400*coin, fee)), want: rejected, code: consensus.ErrInsufficientFunds},
		{name: "b3-reward-high", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, coin, fee), chaintest.CoinbaseDelta(1)), want: rejected, code: consensus.ErrBadCoinbaseValue},
		{name: "b3-reward-low", parent: "b2", muts: m(chaintest.Pay(k[2], k[3].Addr, coin, fee), chaintest.CoinbaseDelta(-1)), want: rejected, code: consensus.ErrBadCoinbaseValue},
		{name: "b3-on-invalid", parent: "b3-overspend", want: rejected, code: consensus.ErrInvalidAncestor},

		// Boundaries that are valid: timestamp just after the median, the
		// whole balance spent, the latest allowed timestamp (on a side block,
		// so later default timestamps stay in range).
		{name: "b3", parent: "b2", muts: m(
			chaintest.TimestampMTP(1),
			chaintest.Pay(k[5], k[6].Addr, 1000*coin-fee, fee),
			chaintest.Pay(k[6], k[7].Addr, 1500*coin, fee), // spends what it just received
		), want: accepted},
		{name: "b3-future-ok", parent: "b2", muts: m(chaintest.TimestampNow(p.MaxFutureBlockTime)), want: side, tip: "b3"},
		{name: "b3", reuse: true, want: already},
		{name: "b3-overspend", reuse: true, want: already},
		{name: "b4", parent: "b3", muts: m(chaintest.Pay(k[5], k[0].Addr, 0, fee)), want: rejected, code: consensus.ErrInsufficientFunds},
		{name: "b4-ok", parent: "b3", muts: m(chaintest.Pay(k[7], k[5].Addr, coin, fee)), want: accepted},
	}
	runSteps(t, g, c, steps)

	// Orphans arriving in reverse order all connect once their root does.
	o5 := g.NextBlock("o5", "b4-ok", chaintest.Pay(k[5], k[4].Addr, coin/2, fee))
	var orphans []*chaintest.Block
	parent := "o5"
	for _, n := range []string{"o6", "o7", "o8", "o9"} {
		orphans = append(orphans, g.NextBlock(n, parent, chaintest.Pay(k[0], k[1].Addr, coin, fee)))
		parent = n
	}
	for i := len(orphans) - 1; i >= 0; i-- {
		main, orphan, err := c.ProcessBlock(orphans[i].Block)
		if err != nil || main || !orphan {
			t.Fatalf("%s: main=%v orphan=%v err=%v, want orphan", orphans[i].Name, main, orphan, err)
		}
		// The missing ancestor to ask a peer for is the parent of the
		// oldest orphan seen so far.
		if got := c.OrphanRoot(orphans[len(orphans)-1].Hash); got != orphans[i].Block.Header.PrevHash {
			t.Fatalf("orphan root after %s is %s, want its parent", orphans[i].Name, got)
		}
		checkState(t, c, g, "b4-ok")
	}
	if got := c.OrphanRoot(orphans[len(orphans)-1].Hash); got != o5.Hash {
		t.Fatalf("orphan root is %s, want o5 %s", got, o5.Hash)
	}
	if n := c.OrphanCount(); n != 4 {
		t.Fatalf("%d orphans, want 4", n)
	}
	if _, orphan, err := c.ProcessBlock(orphans[0].Block); !orphan || !errors.Is(err, chain.ErrAlreadyHave) {
		t.Fatalf("resubmitted orphan: orphan=%v err=%v", orphan, err)
	}
	mustAccept(t, c, o5)
	if n := c.OrphanCount(); n != 0 {
		t.Fatalf("%d orphans left", n)
	}
	checkState(t, c, g, "o9")

	// The tx index follows the main chain.
	for _, b := range g.Path("o9") {
		for i, tx := range b.Block.Txs {
			got, loc, err := c.Tx(tx.ID())
			if err != nil || loc.BlockHash != b.Hash || int(loc.Index) != i || got.ID() != tx.ID() {
				t.Fatalf("Tx(%s) in %s: loc=%+v err=%v", tx.ID(), b.Name, loc, err)
			}
		}
		if h, err := c.HashAt(b.Height); err != nil || h != b.Hash {
			t.Fatalf("HashAt(%d) = %s, %v; want %s", b.Height, h, err, b.Hash)
		}
	}
	if _, _, err := c.Tx(g.Block("b3-overspend").Block.Txs[1].ID()); !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("tx of an invalid block: %v, want ErrNotFound", err)
	}
	// AddressTxs lists k[5]'s txs newest first: o5's, then b3's.
	ats, err := c.AddressTxs(k[5].Addr, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []consensus.Hash{g.Block("o5").Block.Txs[1].ID(), g.Block("b4-ok").Block.Txs[1].ID(), g.Block("b3").Block.Txs[1].ID()}
	if len(ats) != len(want) {
		t.Fatalf("AddressTxs(k5) = %d entries, want %d", len(ats), len(want))
	}
	for i := range want {
		if ats[i].TxID != want[i] {
			t.Fatalf("AddressTxs(k5)[%d] = %s, want %s", i, ats[i].TxID, want[i])
		}
	}

	// Stage-3 failures are stored and show as invalid leaves; the accepted
	// future-timestamp side block is a valid fork.
	for _, n := range []string{"b3-gap", "b3-replay", "b3-samenonce", "b3-overspend", "b3-overspend-2", "b3-reward-high", "b3-reward-low", "b4"} {
		if s := tipStatus(c, g.Block(n).Hash); s != "invalid" {
			t.Errorf("Tips() status of %s = %q, want invalid", n, s)
		}
	}
	if s := tipStatus(c, g.Block("b3-future-ok").Hash); s != "valid-headers" && s != "valid-fork" {
		t.Errorf("Tips() status of b3-future-ok = %q", s)
	}
	for _, n := range []string{"b3-highhash", "b3-sig", "b3-mtp", "b3-on-invalid"} {
		if c.HaveBlock(g.Block(n).Hash) {
			t.Errorf("%s was stored", n)
		}
	}
	// A node that only ever saw the good blocks agrees.
	tip, dg := cleanDigest(t, g, "o9")
	if tip != c.Tip().Hash || dg != digestOf(t, c) {
		t.Fatalf("clean node differs")
	}
}

// TestBlockSizeBoundary: a block of exactly MaxBlockSize bytes is valid, one
// byte more is not (on a network with a small limit).
func TestBlockSizeBoundary(t *testing.T) {
	const limit = 2000
	g := chaintest.MustNew(chaintest.Options{Name: "sizelimit", Keys: 2, MaxBlockSize: limit})
	c := newChain(t, g)
	k := g.Keys
	fill := func(size int) chaintest.Mutator {
		return func(d *chaintest.Draft) {
			for range 4 {
				d.TransferMemo(k[0], k[1].Addr, 1, g.Params.MinTxFee, bytes.Repeat([]byte{'m'}, consensus.MaxMemoSize))
			}
			n := consensus.HeaderSize + 4 + (&consensus.Tx{Kind: consensus.TxCoinbase}).EncodedSize()
			for _, tx := range d.Txs {
				n += tx.EncodedSize()
			}
			if size-n < 0 || size-n > consensus.MaxMemoSize {
				t.Fatalf("cannot fill to %d from %d", size, n)
			}
			d.CoinbaseMemo = make([]byte, size-n)
		}
	}
	big := g.NextBlock("big", "genesis", fill(limit+1))
	if s := big.Block.EncodedSize(); s != limit+1 {
		t.Fatalf("big block is %d bytes", s)
	}
	mustReject(t, c, big, consensus.ErrBlockTooBig)
	ok := g.NextBlock("ok", "genesis", fill(limit))
	if s := ok.Block.EncodedSize(); s != limit {
		t.Fatalf("block is %d bytes", s)
	}
	mustAccept(t, c, ok)
	checkState(t, c, g, "ok")
}

// TestBalanceOverflow: a recipient or miner balance that would pass 2^64-1
// is rejected. A whale holds nearly all coins, so coinbase subsidies push
// the total supply past uint64.
func TestBalanceOverflow(t *testing.T) {
	whale := chaintest.NewKey("whale")
	const small = consensus.Coin // below one block's subsidy
	g := chaintest.MustNew(chaintest.Options{Name: "overflow", Keys: 1, Alloc: small,
		ExtraAllocs: []consensus.Alloc{{Address: whale.Addr, Amount: math.MaxUint64 - small}}})
	c := newChain(t, g)
	fee := g.Params.MinTxFee
	steps := []step{
		{name: "b1", parent: "genesis", want: accepted}, // supply is now above 2^64-1
		{name: "b2-miner", parent: "b1", muts: m(chaintest.MinerAddr(whale.Addr)), want: rejected, code: consensus.ErrOverflow},
		{name: "b2-recipient", parent: "b1", muts: m(chaintest.Pay(g.Miner, whale.Addr, small+1, fee)), want: rejected, code: consensus.ErrOverflow},
		{name: "b2", parent: "b1", muts: m(chaintest.Pay(g.Miner, whale.Addr, small, fee)), want: accepted}, // exactly 2^64-1
	}
	runSteps(t, g, c, steps)
	if a, _ := c.Account(whale.Addr); a.Balance != math.MaxUint64 {
		t.Fatalf("whale balance %d", a.Balance)
	}
}

// TestASERTDifficulty checks bits against a real ASERT schedule: a block
// whose target differs from ASERT's is rejected even with valid work.
func TestASERTDifficulty(t *testing.T) {
	base, keys, err := chaintest.NewParams(chaintest.Options{Name: "asert", Keys: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := chaintest.ASERTParams(base, 0x1e7fffff, 10, 3600)
	g := chaintest.NewWithParams(p, keys)
	c := newChain(t, g)
	// One step harder than the limit: its own work is valid, but ASERT
	// (on schedule, anchored at the limit) asks for the limit.
	runSteps(t, g, c, []step{
		{name: "b1-harder", parent: "genesis", muts: m(chaintest.Bits(0x1e7ffffe)), want: rejected, code: consensus.ErrBadDifficulty},
		{name: "b1", parent: "genesis", want: accepted},
		// A target above the limit is refused before the schedule is checked.
		{name: "b2-easier", parent: "b1", muts: m(chaintest.Bits(0x1f00ffff)), want: rejected, code: consensus.ErrBadTargetLimit},
	})
	if bits := g.Block("b1").Block.Header.Bits; bits != consensus.NextBits(p, 0, p.Genesis.Header.Timestamp) {
		t.Fatalf("b1 bits %#x", bits)
	}
}

// branchSpec describes a run of generated blocks.
type branchSpec struct {
	prefix     string
	parent     string
	from, to   int // heights
	spendFrom  int // key index that sends a transfer in each block
	spendTo    int
	badAt      int // height whose block overspends (0 = none)
	freshAddrs bool
}

// branch generates blocks prefix<from>..prefix<to> on parent; each moves
// coins between keys (branch-specific, so the branches' states differ) and
// optionally creates a fresh account that exists only on this branch.
func branch(g *chaintest.Gen, s branchSpec) []*chaintest.Block {
	var out []*chaintest.Block
	parent := s.parent
	k := g.Keys
	fee := g.Params.MinTxFee
	for h := s.from; h <= s.to; h++ {
		name := s.prefix + itoa(h)
		muts := m(
			chaintest.Pay(k[s.spendFrom], k[s.spendTo].Addr, uint64(h)*consensus.Coin, fee),
			chaintest.Pay(k[s.spendTo], k[(s.spendTo+1)%len(k)].Addr, consensus.Coin/3, fee+uint64(h)),
		)
		if s.freshAddrs {
			fresh := chaintest.NewKey(name + "/fresh")
			muts = append(muts, chaintest.Pay(k[s.spendFrom], fresh.Addr, 7, fee))
		}
		if h == s.badAt {
			muts = append(muts, func(d *chaintest.Draft) {
				// More than the parent balance plus everything received here.
				d.Transfer(k[s.spendTo], k[s.spendFrom].Addr, d.Balance(k[s.spendTo])+uint64(h)*consensus.Coin, fee)
			})
		}
		out = append(out, g.NextBlock(name, parent, muts...))
		parent = name
	}
	return out
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

// events records chain events.
type eventLog struct{ evs []chain.Event }

func (l *eventLog) add(e chain.Event) { l.evs = append(l.evs, e) }

func TestReorgDepth1(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "reorg1", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 5, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b4", from: 5, to: 6, spendFrom: 0, spendTo: 2, freshAddrs: true})
	mustAccept(t, c, mainB...)
	checkState(t, c, g, "b5")
	mustSide(t, c, side[0]) // equal work: first seen stays
	checkState(t, c, g, "b5")
	var log eventLog
	c.Subscribe(log.add)
	mustAccept(t, c, side[1])
	checkState(t, c, g, "s6")
	wantEvents(t, log.evs, g, []string{"-b5", "+s5", "+s6"})

	tip, dg := cleanDigest(t, g, "s6")
	if tip != c.Tip().Hash || dg != digestOf(t, c) {
		t.Fatal("state after the reorg differs from a node that only saw the winning branch")
	}
	// b5's transfers left the tx index; s5's are in it.
	for _, tx := range g.Block("b5").Block.Txs {
		if _, _, err := c.Tx(tx.ID()); !errors.Is(err, chain.ErrNotFound) {
			t.Fatalf("disconnected tx still indexed: %v", err)
		}
	}
	for _, tx := range g.Block("s5").Block.Txs {
		if _, loc, err := c.Tx(tx.ID()); err != nil || loc.BlockHash != g.Block("s5").Hash {
			t.Fatalf("tx of s5: %v", err)
		}
	}
	if s := tipStatus(c, g.Block("b5").Hash); s != "valid-fork" {
		t.Fatalf("b5 status %q, want valid-fork", s)
	}
}

// wantEvents checks the exact event sequence: "+name" connect, "-name" disconnect.
func wantEvents(t testing.TB, evs []chain.Event, g *chaintest.Gen, want []string) {
	t.Helper()
	var got []string
	for _, e := range evs {
		b := g.ByHash(e.Hash)
		name := e.Hash.String()
		if b != nil {
			name = b.Name
			if e.Height != b.Height || e.Block == nil || e.Block.Hash() != e.Hash {
				t.Fatalf("event %v %s: height %d, want %d", e.Kind, name, e.Height, b.Height)
			}
		}
		sign := "+"
		if e.Kind == chain.BlockDisconnected {
			sign = "-"
		}
		got = append(got, sign+name)
	}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

func TestReorgDepth10(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "reorg10", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 20, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b10", from: 11, to: 21, spendFrom: 0, spendTo: 3, freshAddrs: true})
	mustAccept(t, c, mainB...)
	before := digestOf(t, c)
	mustSide(t, c, side[:10]...)
	checkState(t, c, g, "b20")
	if digestOf(t, c) != before {
		t.Fatal("side blocks changed the state")
	}
	var log eventLog
	c.Subscribe(log.add)
	mustAccept(t, c, side[10])
	checkState(t, c, g, "s21")
	var want []string
	for h := 20; h >= 11; h-- {
		want = append(want, "-b"+itoa(h))
	}
	for h := 11; h <= 21; h++ {
		want = append(want, "+s"+itoa(h))
	}
	wantEvents(t, log.evs, g, want)
	tip, dg := cleanDigest(t, g, "s21")
	if tip != c.Tip().Hash || dg != digestOf(t, c) {
		t.Fatal("state after the reorg differs from a node that only saw the winning branch")
	}

	// And back: the old branch grows two blocks and wins again (depth 11).
	log.evs = nil
	more := branch(g, branchSpec{prefix: "b", parent: "b20", from: 21, to: 22, spendFrom: 0, spendTo: 1})
	mustSide(t, c, more[0])
	mustAccept(t, c, more[1])
	checkState(t, c, g, "b22")
	want = want[:0]
	for h := 21; h >= 11; h-- {
		want = append(want, "-s"+itoa(h))
	}
	for h := 11; h <= 22; h++ {
		want = append(want, "+b"+itoa(h))
	}
	wantEvents(t, log.evs, g, want)
	tip, dg = cleanDigest(t, g, "b22")
	if tip != c.Tip().Hash || dg != digestOf(t, c) {
		t.Fatal("state after the second reorg differs from a clean node")
	}
}

// TestReorgToInvalidBranch: a heavier side branch whose 5th block overspends.
// The node must end on the best VALID chain with exactly that chain's state.
func TestReorgToInvalidBranch(t *testing.T) {
	t.Run("old chain wins", func(t *testing.T) {
		// Main: 6 blocks past the fork. Side: 7 blocks, the 5th invalid, so
		// its valid prefix (4) has less work than the old chain.
		g := chaintest.MustNew(chaintest.Options{Name: "badreorg1", Keys: 6})
		c := newChain(t, g)
		mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 8, spendFrom: 0, spendTo: 1, freshAddrs: true})
		side := branch(g, branchSpec{prefix: "s", parent: "b2", from: 3, to: 9, spendFrom: 2, spendTo: 3, badAt: 7, freshAddrs: true})
		mustAccept(t, c, mainB...)
		mustSide(t, c, side[:6]...) // s3..s8: s8 ties b8, no reorg yet; s7 unchecked
		if st := blockStatus(t, c, g.Block("s7").Hash); st != "valid-headers" {
			t.Fatalf("s7 before the reorg: %q", st)
		}
		var log eventLog
		c.Subscribe(log.add)
		mustReject(t, c, side[6], consensus.ErrInvalidAncestor) // s9: reorg, s7 fails, back to b8
		checkState(t, c, g, "b8")
		wantEvents(t, log.evs, g, []string{
			"-b8", "-b7", "-b6", "-b5", "-b4", "-b3", "+s3", "+s4", "+s5", "+s6",
			"-s6", "-s5", "-s4", "-s3", "+b3", "+b4", "+b5", "+b6", "+b7", "+b8",
		})
		tip, dg := cleanDigest(t, g, "b8")
		if tip != c.Tip().Hash || dg != digestOf(t, c) {
			t.Fatal("state differs from a clean node")
		}
		if st := blockStatus(t, c, g.Block("s7").Hash); st != "invalid" {
			t.Fatalf("s7 status %q, want invalid", st)
		}
		if st := tipStatus(c, g.Block("s9").Hash); st != "invalid" {
			t.Fatalf("Tips() status of s9 %q, want invalid", st)
		}
		if st := blockStatus(t, c, g.Block("s6").Hash); st != "valid-fork" {
			t.Fatalf("s6 status %q, want valid-fork", st)
		}
		s10 := g.NextBlock("s10", "s9")
		mustReject(t, c, s10, consensus.ErrInvalidAncestor)
		checkState(t, c, g, "b8")
	})
	t.Run("valid prefix wins", func(t *testing.T) {
		// Main: 3 blocks past the fork; side: 7, the 5th invalid, arriving as
		// orphans so one ProcessBlock runs the whole reorg. The side's valid
		// prefix (4 blocks) has more work than the old chain.
		g := chaintest.MustNew(chaintest.Options{Name: "badreorg2", Keys: 6})
		c := newChain(t, g)
		mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 5, spendFrom: 0, spendTo: 1, freshAddrs: true})
		side := branch(g, branchSpec{prefix: "s", parent: "b2", from: 3, to: 9, spendFrom: 2, spendTo: 3, badAt: 7, freshAddrs: true})
		mustAccept(t, c, mainB...)
		headersFirst(t, c, side...)
		for i := len(side) - 1; i >= 1; i-- {
			if _, orphan, err := c.ProcessBlock(side[i].Block); err != nil || !orphan {
				t.Fatalf("%s: orphan=%v err=%v", side[i].Name, orphan, err)
			}
		}
		mustAccept(t, c, side[0]) // s3 ends on the main chain: s3..s6 win
		checkState(t, c, g, "s6")
		tip, dg := cleanDigest(t, g, "s6")
		if tip != c.Tip().Hash || dg != digestOf(t, c) {
			t.Fatal("state differs from a clean node")
		}
		// The branch's headers came first, so its leaf is s9's header.
		if st := tipStatus(c, g.Block("s9").Hash); st != "invalid" {
			t.Fatalf("Tips() status of s9 %q, want invalid", st)
		}
		if bi, err := c.BlockInfo(g.Block("s7").Hash); err != nil || bi.Status != "invalid" {
			t.Fatalf("s7: %+v %v, want invalid", bi.Status, err)
		}
		if c.HaveBlock(g.Block("s8").Hash) {
			t.Fatal("the child of the invalid block was stored")
		}
		if st := tipStatus(c, g.Block("b5").Hash); st != "valid-fork" {
			t.Fatalf("b5 status %q", st)
		}
	})
}

func TestInvalidateReconsider(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "invalidate", Keys: 5})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 10, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b5", from: 6, to: 8, spendFrom: 2, spendTo: 3, freshAddrs: true})
	mustAccept(t, c, mainB...)
	mustSide(t, c, side...)
	tipBefore, digestBefore := c.Tip().Hash, digestOf(t, c)

	var log eventLog
	c.Subscribe(log.add)
	if err := c.InvalidateBlock(g.Block("b6").Hash); err != nil {
		t.Fatal(err)
	}
	// The best chain without b6 is the side branch s6..s8.
	checkState(t, c, g, "s8")
	var want []string
	for h := 10; h >= 6; h-- {
		want = append(want, "-b"+itoa(h))
	}
	want = append(want, "+s6", "+s7", "+s8")
	wantEvents(t, log.evs, g, want)
	if st := tipStatus(c, g.Block("b10").Hash); st != "invalid" {
		t.Fatalf("b10 status %q", st)
	}
	// New blocks on the invalidated branch are refused.
	mustReject(t, c, g.NextBlock("b11", "b10"), consensus.ErrInvalidAncestor)

	// Invalidate the side branch too: back to b5.
	if err := c.InvalidateBlock(g.Block("s6").Hash); err != nil {
		t.Fatal(err)
	}
	checkState(t, c, g, "b5")

	log.evs = nil
	if err := c.ReconsiderBlock(g.Block("b6").Hash); err != nil {
		t.Fatal(err)
	}
	if c.Tip().Hash != tipBefore || digestOf(t, c) != digestBefore {
		t.Fatal("reconsider did not restore the tip and state")
	}
	checkState(t, c, g, "b10")
	want = want[:0]
	for h := 6; h <= 10; h++ {
		want = append(want, "+b"+itoa(h))
	}
	wantEvents(t, log.evs, g, want)
	if err := c.ReconsiderBlock(g.Block("s8").Hash); err != nil {
		t.Fatal(err)
	}
	checkState(t, c, g, "b10")
	if st := tipStatus(c, g.Block("s8").Hash); st != "valid-fork" {
		t.Fatalf("s8 status %q after reconsider", st)
	}

	if err := c.InvalidateBlock(g.Params.GenesisHash); !errors.Is(err, chain.ErrGenesisChange) {
		t.Fatalf("invalidate genesis: %v", err)
	}
	if err := c.InvalidateBlock(consensus.Hash{1}); !errors.Is(err, chain.ErrUnknownBlock) {
		t.Fatalf("invalidate unknown: %v", err)
	}
	if err := c.ReconsiderBlock(consensus.Hash{1}); !errors.Is(err, chain.ErrUnknownBlock) {
		t.Fatalf("reconsider unknown: %v", err)
	}
}

// TestRestart: Close + Open keeps the tip, the state, the block statuses and
// the block tree, with fsync on (the default).
func TestRestart(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "restart", Keys: 5})
	dir := t.TempDir()
	c := openChain(t, dir, g, false)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 6, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b3", from: 4, to: 8, spendFrom: 2, spendTo: 3, badAt: 8})
	mustAccept(t, c, mainB...)
	mustSide(t, c, side[:3]...)
	mustAccept(t, c, side[3])                                 // s7 wins
	mustReject(t, c, side[4], consensus.ErrInsufficientFunds) // s8 is bad
	checkState(t, c, g, "s7")
	tips := sortedTips(c)
	si, _ := c.StateInfo()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = openChain(t, dir, g, false)
	defer c.Close()
	checkState(t, c, g, "s7")
	if si2, _ := c.StateInfo(); si2 != si {
		t.Fatalf("state info %+v after restart, was %+v", si2, si)
	}
	if got := sortedTips(c); !equalTips(got, tips) {
		t.Fatalf("tips after restart %+v, were %+v", got, tips)
	}
	if st := blockStatus(t, c, g.Block("s8").Hash); st != "invalid" {
		t.Fatalf("s8 status after restart %q", st)
	}
	if err := c.VerifyBlocks(100); err != nil {
		t.Fatal(err)
	}
	// It keeps working: the old branch catches up and wins.
	more := branch(g, branchSpec{prefix: "b", parent: "b6", from: 7, to: 8, spendFrom: 0, spendTo: 1})
	mustSide(t, c, more[0])
	mustAccept(t, c, more[1])
	checkState(t, c, g, "b8")
}

func sortedTips(c *chain.Chain) []chain.ChainTip {
	tips := c.Tips()
	sort.Slice(tips, func(i, j int) bool { return bytes.Compare(tips[i].Hash[:], tips[j].Hash[:]) < 0 })
	return tips
}

func equalTips(a, b []chain.ChainTip) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestVerifyBlocks: VerifyBlocks passes on a good database and reports
// ErrCorrupt once an account record is changed behind the chain's back.
func TestVerifyBlocks(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "verify", Keys: 5})
	dir := t.TempDir()
	c := openChain(t, dir, g, true)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 10, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b6", from: 7, to: 11, spendFrom: 2, spendTo: 3})
	mustAccept(t, c, mainB...)
	mustSide(t, c, side[:4]...)
	mustAccept(t, c, side[4])
	for _, n := range []int{1, 5, 11, 1000} {
		if err := c.VerifyBlocks(n); err != nil {
			t.Fatalf("VerifyBlocks(%d) on a good database: %v", n, err)
		}
	}
	c.Close()

	// Corrupt k[3]'s balance (touched by the tip block) directly in LevelDB.
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := append([]byte{'a'}, g.Keys[3].Addr[:]...)
	v, err := db.Get(key, nil)
	if err != nil || len(v) != 16 {
		t.Fatalf("account record: %x, %v", v, err)
	}
	v = append([]byte(nil), v...)
	v[7] ^= 1 // balance is big-endian in the first 8 bytes
	if err := db.Put(key, v, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	c = openChain(t, dir, g, true)
	defer c.Close()
	if err := c.VerifyBlocks(3); !errors.Is(err, chain.ErrCorrupt) {
		t.Fatalf("VerifyBlocks after corrupting an account: %v, want ErrCorrupt", err)
	}
}

func TestOpenErrors(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "openerr", Keys: 2})
	dir := t.TempDir()
	c := openChain(t, dir, g, true)
	_, err := chain.Open(chain.Config{Dir: dir, Params: g.Params, Now: g.Now})
	if !errors.Is(err, chain.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	mustAccept(t, c, g.NextBlock("b1", "genesis"))
	c.Close()

	_, err = chain.Open(chain.Config{Dir: dir, Params: consensus.RegtestParams()})
	if !errors.Is(err, chain.ErrWrongNetwork) {
		t.Fatalf("open with regtest params: %v, want ErrWrongNetwork", err)
	}
	other := chaintest.MustNew(chaintest.Options{Name: "openerr", Keys: 3})
	_, err = chain.Open(chain.Config{Dir: dir, Params: other.Params})
	if !errors.Is(err, chain.ErrWrongNetwork) {
		t.Fatalf("open with another genesis: %v, want ErrWrongNetwork", err)
	}
	// The failed opens released the lock and changed nothing.
	c = openChain(t, dir, g, true)
	defer c.Close()
	checkState(t, c, g, "b1")
}

// TestReopenAfterPartialInvalidate simulates a crash in the middle of
// InvalidateBlock, which flags the block and then its descendants one write
// at a time: only b6 and b7 carry their flags. On reopen the node must still
// treat all of b6's descendants as invalid and move to the best valid chain.
func TestReopenAfterPartialInvalidate(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "partialinv", Keys: 5})
	dir := t.TempDir()
	c := openChain(t, dir, g, true)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 10, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b5", from: 6, to: 8, spendFrom: 2, spendTo: 3, freshAddrs: true})
	mustAccept(t, c, mainB...)
	mustSide(t, c, side...)
	c.Close()

	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	const valid, invalid, invalidAncestor = 1, 2, 4 // store.go status bits
	for name, status := range map[string]byte{"b6": valid | invalid, "b7": valid | invalidAncestor} {
		h := g.Block(name).Hash
		key := append([]byte{'i'}, h[:]...)
		v, err := db.Get(key, nil)
		if err != nil {
			t.Fatal(err)
		}
		v = append([]byte(nil), v...)
		v[len(v)-1] = status
		if err := db.Put(key, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	c = openChain(t, dir, g, true)
	defer c.Close()
	checkState(t, c, g, "s8")
	if st := tipStatus(c, g.Block("b10").Hash); st != "invalid" {
		t.Fatalf("b10 status %q, want invalid", st)
	}
	mustReject(t, c, g.NextBlock("b11", "b10"), consensus.ErrInvalidAncestor)
	if err := c.ReconsiderBlock(g.Block("b6").Hash); err != nil {
		t.Fatal(err)
	}
	checkState(t, c, g, "b10")
}

// TestLocatorHeadersAfter: a peer's locator finds the fork point and
// HeadersAfter returns the main-chain headers after it.
func TestLocatorHeadersAfter(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "locator", Keys: 2})
	c := newChain(t, g)
	var names []string
	parent := "genesis"
	for h := 1; h <= 30; h++ {
		names = append(names, "b"+itoa(h))
		g.NextBlock(names[h-1], parent)
		parent = names[h-1]
	}
	side := branch(g, branchSpec{prefix: "s", parent: "b10", from: 11, to: 14, spendFrom: 0, spendTo: 1})
	feed(t, c, g, "b30")

	loc := c.Locator()
	if loc[0] != g.Block("b30").Hash || loc[len(loc)-1] != g.Params.GenesisHash {
		t.Fatalf("locator must run from the tip to genesis")
	}
	for i := 0; i < 10; i++ { // dense near the tip
		if loc[i] != g.Block("b"+itoa(30-i)).Hash {
			t.Fatalf("locator[%d] is not b%d", i, 30-i)
		}
	}
	for i := 1; i < len(loc); i++ {
		if g.ByHash(loc[i]).Height >= g.ByHash(loc[i-1]).Height {
			t.Fatal("locator heights must decrease")
		}
	}

	headersFrom := func(first, last int) []consensus.Header {
		var hs []consensus.Header
		for h := first; h <= last; h++ {
			hs = append(hs, g.Block("b"+itoa(h)).Block.Header)
		}
		return hs
	}
	check := func(what string, got, want []consensus.Header) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d headers, want %d", what, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: header %d differs", what, i)
			}
		}
	}
	peer := newChain(t, g)
	feed(t, peer, g, "b12")
	check("peer at b12", c.HeadersAfter(peer.Locator(), 1000), headersFrom(13, 30))
	check("max 5", c.HeadersAfter(peer.Locator(), 5), headersFrom(13, 17))
	check("synced peer", c.HeadersAfter(c.Locator(), 1000), nil)
	forked := newChain(t, g)
	feed(t, forked, g, "b10")
	mustAccept(t, forked, side...)
	check("peer on a fork", c.HeadersAfter(forked.Locator(), 1000), headersFrom(11, 30))
	check("unknown locator", c.HeadersAfter([]consensus.Hash{{1}}, 1000), headersFrom(1, 30))
}

// TestConcurrentProcess: several goroutines submit the same blocks while
// others read; the node ends on the right tip with the right state (and the
// race detector sees the locking).
func TestConcurrentProcess(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "concurrent", Keys: 6})
	c := newChain(t, g)
	mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 15, spendFrom: 0, spendTo: 1, freshAddrs: true})
	side := branch(g, branchSpec{prefix: "s", parent: "b8", from: 9, to: 17, spendFrom: 2, spendTo: 3, freshAddrs: true})
	var connected, disconnected atomic.Int64
	c.Subscribe(func(e chain.Event) {
		if e.Kind == chain.BlockConnected {
			connected.Add(1)
		} else {
			disconnected.Add(1)
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range append(append([]*chaintest.Block(nil), mainB...), side...) {
				if _, orphan, err := submitHeaderFirst(c, b.Block); orphan || (err != nil && !errors.Is(err, chain.ErrAlreadyHave)) {
					errs <- fmt.Errorf("%s: orphan=%v err=%v", b.Name, orphan, err)
				}
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.Tip()
			c.Tips()
			if _, err := c.StateInfo(); err != nil {
				errs <- err
			}
			c.Account(g.Keys[0].Addr)
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkState(t, c, g, "s17")
	if got := connected.Load() - disconnected.Load(); got != 17 {
		t.Fatalf("connects - disconnects = %d, want the tip height 17", got)
	}
}
