package node

import (
	"log/slog"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/wallet"
)

// The rebroadcaster puts a recorded payment the pool lost back into it,
// forgets it once mined, and forgets one whose nonce another tx used.
func TestRebroadcastOnce(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "rebroadcast", Keys: 3})
	ch, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	pool := mempool.New(mempool.Config{Params: g.Params, State: ch, Now: g.Now})
	ch.Subscribe(func(ev chain.Event) {
		if ev.Kind == chain.BlockConnected {
			pool.BlockConnected(ev.Block)
		}
	})
	wdir := t.TempDir()
	w, _, err := wallet.CreateHD(wallet.Config{Dir: wdir, Params: g.Params}, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	o := w.Outbox()
	k := g.Keys
	fee := g.Params.MinTxFee
	pay := g.Tx(k[0], 0, k[1].Addr, 100, fee, nil)
	stale := g.Tx(k[2], 0, k[1].Addr, 100, fee, nil)
	now := g.Now()
	for _, tx := range []*consensus.Tx{pay, stale} {
		if err := o.Add(tx, now); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)

	// The pool holds neither: both go back.
	if back := rebroadcastOnce(o, ch, pool, log, now); back != 2 || !pool.Has(pay.ID()) {
		t.Fatalf("first pass put back %d, pool has pay: %v", back, pool.Has(pay.ID()))
	}
	if back := rebroadcastOnce(o, ch, pool, log, now); back != 0 {
		t.Fatalf("second pass put back %d, want 0 (already in the pool)", back)
	}
	// A block mines pay, and another tx of k[2] with nonce 0 (so "stale"
	// can never confirm).
	other := g.Tx(k[2], 0, k[0].Addr, 7, fee, nil)
	b := g.NextBlock("b1", "genesis", chaintest.Include(pay, other))
	if _, _, err := ch.ProcessBlock(b.Block); err != nil {
		t.Fatal(err)
	}
	rebroadcastOnce(o, ch, pool, log, now)
	if left := o.List(); len(left) != 0 {
		t.Fatalf("%d payments still recorded after one confirmed and one was superseded", len(left))
	}

	// One that never confirms is given up after outboxMaxAge.
	late := g.Tx(k[1], 0, k[0].Addr, 1, fee, nil)
	_ = o.Add(late, now)
	rebroadcastOnce(o, ch, pool, log, now.Add(outboxMaxAge+time.Hour))
	if len(o.List()) != 0 {
		t.Fatal("a payment older than outboxMaxAge is still recorded")
	}
}
