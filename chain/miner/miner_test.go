package miner

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

// staticSource hands the miner a fixed tx list, as a mempool would.
type staticSource []*consensus.Tx

func (s staticSource) Template(maxTxs, _ int) []*consensus.Tx {
	if len(s) > maxTxs {
		return s[:maxTxs]
	}
	return s
}

func key(seed byte) (*btcec.PrivateKey, consensus.Address) {
	h := sha256.Sum256([]byte{seed})
	k, _ := btcec.PrivKeyFromBytes(h[:])
	var pub [32]byte
	copy(pub[:], k.PubKey().SerializeCompressed()[1:])
	return k, consensus.AddressFromPubKey(pub)
}

func openChain(t *testing.T, p *consensus.Params) *chain.Chain {
	t.Helper()
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: p, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSolveFindsValidProofOfWork(t *testing.T) {
	p := consensus.RegtestParams()
	hdr := consensus.Header{Version: 1, Bits: 0x1f00ffff, Timestamp: 1} // ~2^16 hashes
	var n atomic.Uint64
	sol, ok := Solve(context.Background(), hdr, 2, 0, &n)
	if !ok {
		t.Fatal("no solution")
	}
	if err := consensus.CheckProofOfWork(sol.Hash(), sol.Bits, p.PowLimit); err != nil {
		t.Fatalf("solution fails PoW: %v", err)
	}
	if n.Load() == 0 {
		t.Fatal("hash counter not updated")
	}
	// A bounded search at an impossible target gives up.
	hdr.Bits = 0x03000001
	if _, ok := Solve(context.Background(), hdr, 1, 1000, nil); ok {
		t.Fatal("solved an impossible target")
	}
}

func TestTemplateDropsTxsThatNoLongerApply(t *testing.T) {
	p := consensus.RegtestParams()
	c := openChain(t, p)
	alicePriv, alice := key(1)
	_, bob := key(2)
	m := New(Config{Chain: c, Threads: 1})
	if _, err := m.Generate(context.Background(), 2, alice); err != nil {
		t.Fatal(err)
	}
	mk := func(nonce, amount uint64) *consensus.Tx {
		tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, Nonce: nonce, To: bob, Amount: amount, Fee: p.MinTxFee}
		if err := tx.Sign(alicePriv); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	good := mk(0, consensus.Coin)
	gap := mk(5, consensus.Coin)            // nonce gap
	overspend := mk(1, 1000*consensus.Coin) // more than alice has
	next := mk(1, consensus.Coin)
	blk, err := NewTemplate(c, staticSource{good, gap, overspend, next}, alice, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(blk.Txs) != 3 || blk.Txs[1] != good || blk.Txs[2] != next {
		t.Fatalf("template has %d txs, want coinbase + the 2 valid ones", len(blk.Txs))
	}
	if want := p.Subsidy(3) + 2*p.MinTxFee; blk.Txs[0].Amount != want {
		t.Fatalf("coinbase pays %d, want %d", blk.Txs[0].Amount, want)
	}
	// The template solves into a block the chain accepts.
	m2 := New(Config{Chain: c, Source: staticSource{good, gap, overspend, next}, Threads: 1})
	if _, err := m2.MineOne(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Account(bob); a.Balance != 2*consensus.Coin {
		t.Fatalf("bob has %d", a.Balance)
	}
}

func TestRunStopsOnCancelAndPaces(t *testing.T) {
	c := openChain(t, consensus.RegtestParams())
	_, alice := key(1)
	m := New(Config{Chain: c, Address: alice, Threads: 1, Pace: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	h := c.Height()
	if h == 0 || h > 20 || m.BlocksFound() != h {
		t.Fatalf("height %d, found %d: want a few paced blocks", h, m.BlocksFound())
	}
}

func TestMineOneHonoursContext(t *testing.T) {
	p := consensus.RegtestParams()
	c := openChain(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, alice := key(1)
	if _, err := New(Config{Chain: c}).MineOne(ctx, alice); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// countingSource counts how often the miner asks for a template.
type countingSource struct{ n atomic.Int32 }

func (s *countingSource) Template(int, int) []*consensus.Tx {
	s.n.Add(1)
	return nil
}

// A duty-cycled miner calls MineOne once per burst: the template is built
// once and kept across calls while the tip and Refresh allow, rebuilt for a
// new tip, and never mined twice once solved.
func TestMineOneKeepsTemplateAcrossCalls(t *testing.T) {
	p := consensus.RegtestParams()
	c := openChain(t, p)
	src := &countingSource{}
	_, addr := key(7)
	m := New(Config{Chain: c, Source: src, Address: addr, Refresh: time.Hour})
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for range 3 {
		if _, err := m.MineOne(stopped, addr); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled burst: %v", err)
		}
	}
	if got := src.n.Load(); got != 1 {
		t.Fatalf("%d templates built for three bursts on one tip, want 1", got)
	}
	h, err := m.MineOne(context.Background(), addr)
	if err != nil || c.Tip().Hash != h {
		t.Fatalf("mine: %v (tip %s, mined %s)", err, c.Tip().Hash, h)
	}
	if got := src.n.Load(); got != 1 {
		t.Fatalf("the kept template was not the one mined: %d built", got)
	}
	// New tip: a fresh template, whose block extends it.
	h2, err := m.MineOne(context.Background(), addr)
	if err != nil || src.n.Load() != 2 {
		t.Fatalf("second block: %v, %d templates", err, src.n.Load())
	}
	if tip := c.Tip(); tip.Hash != h2 || tip.Height != 2 {
		t.Fatalf("tip %s at %d, want %s at 2", tip.Hash, tip.Height, h2)
	}
	// Another address never reuses this one's template.
	_, other := key(8)
	if _, err := m.MineOne(stopped, other); !errors.Is(err, context.Canceled) || src.n.Load() != 3 {
		t.Fatalf("other address: %v, %d templates", err, src.n.Load())
	}
}
