package mempool

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

func TestTemplateOrder(t *testing.T) {
	f := newFixture(t, nil)
	a, b, c := newKey(1), newKey(2), newKey(3)
	for _, k := range []*key{a, b, c} {
		f.state.set(k.addr, 1e9, 0)
	}
	// Fee rates: B0 34/byte, C0 12, A0 6.8, A1 61 (but behind A0).
	a0, a1 := a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 9000)
	b0 := b.tx(t, f.params, 0, 5000)
	c0 := c.tx(t, f.params, 0, 3000, withMemo(100))
	f.mustAdd(t, a1, c0, a0, b0)
	tests := []struct {
		name             string
		maxTxs, maxBytes int
		want             []*consensus.Tx
	}{
		{"no limits", 0, 0, []*consensus.Tx{b0, c0, a0, a1}},
		{"tx limit", 2, 0, []*consensus.Tx{b0, c0}},
		{"byte limit skips a sender that does not fit", 0, 2 * txSize, []*consensus.Tx{b0, a0}},
		{"byte limit drops the rest of a sender", 0, 3 * txSize, []*consensus.Tx{b0, c0}},
		{"byte limit keeps nonce order", 0, 4 * txSize, []*consensus.Tx{b0, c0, a0}},
		{"nothing fits", 0, txSize - 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.pool.Template(tt.maxTxs, tt.maxBytes)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d txs, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("[%d] nonce %d fee %d, want nonce %d fee %d", i, got[i].Nonce, got[i].Fee, tt.want[i].Nonce, tt.want[i].Fee)
				}
			}
		})
	}
}

// The state may move before the pool hears of the block; the template must
// follow the state, not the pool's last view of it.
func TestTemplateFollowsState(t *testing.T) {
	f := newFixture(t, nil)
	a, b := newKey(1), newKey(2)
	f.state.set(a.addr, 1e9, 0)
	f.state.set(b.addr, 1e9, 0)
	a0, a1, a2 := a.tx(t, f.params, 0, 2000), a.tx(t, f.params, 1, 2000), a.tx(t, f.params, 2, 2000)
	b0, b1 := b.tx(t, f.params, 0, 1000), b.tx(t, f.params, 1, 1000)
	f.mustAdd(t, a0, a1, a2, b0, b1)
	f.state.connect(t, a0)       // mined, not yet notified
	f.state.set(b.addr, 2500, 0) // b spent funds elsewhere: b1 no longer fits
	got := f.pool.Template(0, 0)
	want := []*consensus.Tx{a1, a2, b0}
	if len(got) != len(want) {
		t.Fatalf("template nonces %v, want a1 a2 b0", nonces(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("template nonces %v, want a1 a2 b0", nonces(got))
		}
	}
	st := f.state.snapshot()
	for _, tx := range got {
		if err := consensus.ApplyTx(st, tx); err != nil {
			t.Fatal(err)
		}
	}
}

func nonces(txs []*consensus.Tx) []uint64 {
	out := make([]uint64, len(txs))
	for i, tx := range txs {
		out[i] = tx.Nonce
	}
	return out
}

func TestTemplateAppliesCleanly(t *testing.T) {
	f := newFixture(t, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []*key
	for i := range 60 {
		k := newKey(i)
		keys = append(keys, k)
		// Some senders can afford only part of what they send.
		f.state.set(k.addr, 5000+rng.Uint64N(60_000), rng.Uint64N(3))
	}
	for _, k := range keys {
		acct, _ := f.state.Account(k.addr)
		for n := acct.Nonce; n < acct.Nonce+uint64(rng.IntN(8)); n++ {
			if rng.IntN(6) == 0 {
				continue // leave a gap: later txs are queued
			}
			// Pay other senders too, so credits mix with debits.
			to := keys[rng.IntN(len(keys))].addr
			tx := k.tx(t, f.params, n, 1000+rng.Uint64N(9000), withTo(to), withMemo(rng.IntN(64)))
			_, _ = f.pool.Add(tx) // unaffordable ones are rejected; fine
		}
	}
	stats := f.pool.Stats()
	if stats.Pending < 50 || stats.Queued == 0 {
		t.Fatalf("weak test pool: %+v", stats)
	}
	for _, lim := range []struct{ txs, bytes int }{{0, 0}, {25, 0}, {0, 4000}, {40, 7000}} {
		got := f.pool.Template(lim.txs, lim.bytes)
		if lim.txs == 0 && lim.bytes == 0 && len(got) != stats.Pending {
			t.Errorf("unlimited template has %d txs, pool has %d pending", len(got), stats.Pending)
		}
		if lim.txs > 0 && len(got) > lim.txs {
			t.Errorf("%d txs over limit %d", len(got), lim.txs)
		}
		size := 0
		st := f.state.snapshot()
		for i, tx := range got {
			size += tx.EncodedSize()
			if err := consensus.ApplyTx(st, tx); err != nil {
				t.Fatalf("limits %v: tx %d does not apply: %v", lim, i, err)
			}
		}
		if lim.bytes > 0 && size > lim.bytes {
			t.Errorf("%d bytes over limit %d", size, lim.bytes)
		}
	}
}

// Custom networks can fund accounts near 2^64: the template's fees never
// overflow, and a tx that would overflow them is left out, with its
// sender's later txs.
func TestTemplateFeesNeverOverflow(t *testing.T) {
	f := newFixture(t, nil)
	a, b, c, d := newKey(1), newKey(2), newKey(3), newKey(4)
	for _, k := range []*key{a, b, c, d} {
		f.state.set(k.addr, math.MaxUint64, 0)
	}
	a0 := a.tx(t, f.params, 0, math.MaxUint64-2000)
	b0 := b.tx(t, f.params, 0, 1<<63)
	b1 := b.tx(t, f.params, 1, 1000)
	c0 := c.tx(t, f.params, 0, 2000)
	d0 := d.tx(t, f.params, 0, 1000)
	f.mustAdd(t, a0, b0, b1, c0, d0)
	got := f.pool.Template(0, 0)
	// a0 + c0 sum to exactly MaxUint64; b0 and d0 would overflow, b1 needs b0.
	want := []*consensus.Tx{a0, c0}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("template nonces %v fees %v, want a0 and c0", nonces(got), fees(got))
	}
}

func fees(txs []*consensus.Tx) []uint64 {
	out := make([]uint64, len(txs))
	for i, tx := range txs {
		out[i] = tx.Fee
	}
	return out
}
