package p2p

import (
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
)

// A fresh node connected to one that holds 500 blocks syncs them all by
// headers-first sync (not gossip), and a third node joining later fetches
// bodies from both synced nodes in parallel, across header batches.
func TestSyncFromScratchAndLateJoiner(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2psync", Keys: 20})
	blocks := chainOf(gen, "b", 500, 1)
	a := newNode(t, gen.Params, "a", "")
	a.feed(t, blocks)
	tip := blocks[len(blocks)-1]

	b := newNode(t, gen.Params, "b", "")
	connect(t, b, a)
	waitFor(t, 60*time.Second, "b synced", func() bool { return sameTip(a, b) })
	if got := b.chain.Tip().Hash; got != tip.Hash {
		t.Fatalf("b tip %s, want %s", got, tip.Hash)
	}
	if digest(t, a) != digest(t, b) || digest(t, b) != gen.Digest(tip.Name) {
		t.Fatal("state digests differ after sync")
	}
	sb := b.node.Stats()
	if sb.BlocksFetched[a.node.ID()] != 500 || sb.BlocksSynced != 500 {
		t.Fatalf("b fetched %d blocks from a and synced %d, want 500 and 500", sb.BlocksFetched[a.node.ID()], sb.BlocksSynced)
	}
	if sb.HeadersFetched != 500 {
		t.Fatalf("b fetched %d headers, want 500", sb.HeadersFetched)
	}
	if n := sb.Gossip[KindBlock][VerdictAccept]; n != 0 {
		t.Fatalf("b accepted %d blocks by gossip; sync should have brought them", n)
	}

	// The late joiner dials both at once; sync waits briefly for both
	// handshakes and then spreads the batches.
	// Small header batches make c cross several batch boundaries.
	c := newNode(t, gen.Params, "c", "", func(cfg *Config) {
		cfg.Peers = []string{a.node.Addrs()[0], b.node.Addrs()[0]}
		cfg.headersBatch = 64
	})
	waitFor(t, 60*time.Second, "c synced", func() bool { return sameTip(a, c) })
	sc := c.node.Stats()
	fromA, fromB := sc.BlocksFetched[a.node.ID()], sc.BlocksFetched[b.node.ID()]
	t.Logf("late joiner fetched %d blocks from a, %d from b", fromA, fromB)
	if fromA == 0 || fromB == 0 || fromA+fromB != 500 {
		t.Fatalf("late joiner fetched %d from a and %d from b; want both > 0, total 500", fromA, fromB)
	}
	if digest(t, c) != digest(t, a) {
		t.Fatal("late joiner state differs")
	}
	if sc.HeadersFetched != 500 {
		t.Fatalf("late joiner fetched %d headers in batches of 64, want 500", sc.HeadersFetched)
	}
}
