package mempool

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

// The scenario: ten high-fee gapped txs fill a small pool, and an
// executable tx paying 10x the minimum still gets in (it got ErrPoolFull
// when both kinds competed for the same bytes by fee rate).
func TestGappedTxsCannotCrowdOutExecutable(t *testing.T) {
	const n = 10
	// Let gapped txs take the whole pool, the worst case for this rule.
	f := newFixture(t, func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = n*txSize, n*txSize })
	var gapped []*consensus.Tx
	for i := range n {
		k := newKey(100 + i)
		f.state.set(k.addr, 1e9, 0)
		gapped = append(gapped, k.tx(t, f.params, 1, 100*f.params.MinTxFee+uint64(i))) // nonce 0 missing
	}
	f.mustAdd(t, gapped...)
	if st := f.pool.Stats(); st.Queued != n || st.Bytes != n*txSize {
		t.Fatalf("setup: %d queued, %d bytes", st.Queued, st.Bytes)
	}
	a := newKey(1)
	f.state.set(a.addr, 1e9, 0)
	exec := a.tx(t, f.params, 0, 10*f.params.MinTxFee)
	if _, err := f.pool.Add(exec); err != nil {
		t.Fatalf("executable tx refused: %v", err)
	}
	// The cheapest gapped tx made room.
	if f.pool.Has(gapped[0].ID()) || !f.pool.Has(gapped[1].ID()) {
		t.Fatal("the wrong gapped tx was evicted")
	}
	if st := f.pool.Stats(); st.Pending != 1 || st.Queued != n-1 || st.Evicted != 1 {
		t.Fatalf("stats %+v", st)
	}
	checkInvariants(t, f.pool)
}

func TestQueuedCap(t *testing.T) {
	p := consensus.RegtestParams()
	ks := make([]*key, 8)
	for i := range ks {
		ks[i] = newKey(i + 1)
	}
	pend := func(i int, fee uint64) *consensus.Tx { return ks[i].tx(t, p, 0, fee) }
	gap := func(i int, fee uint64) *consensus.Tx { return ks[i].tx(t, p, 2, fee) }
	tests := []struct {
		name     string
		cfg      func(*Config)
		pool     []*consensus.Tx
		add      *consensus.Tx
		want     error
		wantGone []int // indexes into pool
	}{
		{
			name: "default cap is a quarter of the pool's bytes",
			cfg:  func(c *Config) { c.MaxBytes = 8 * txSize },
			pool: []*consensus.Tx{gap(0, 5000), gap(1, 5000)},
			add:  gap(2, 5000), // equal rate: incumbents win
			want: Error{Code: ErrQueueFull},
		},
		{
			name:     "a richer gapped tx evicts the cheapest gapped one",
			cfg:      func(c *Config) { c.MaxBytes = 8 * txSize },
			pool:     []*consensus.Tx{gap(0, 5000), gap(1, 3000), pend(2, 1000)},
			add:      gap(3, 4000),
			wantGone: []int{1},
		},
		{
			name: "count cap",
			cfg:  func(c *Config) { c.MaxQueued = 2 },
			pool: []*consensus.Tx{gap(0, 5000), gap(1, 3000)},
			add:  gap(2, 2000),
			want: Error{Code: ErrQueueFull},
		},
		{
			name:     "count cap, richer newcomer",
			cfg:      func(c *Config) { c.MaxQueued = 2 },
			pool:     []*consensus.Tx{gap(0, 5000), gap(1, 3000)},
			add:      gap(2, 3500),
			wantGone: []int{1},
		},
		{
			name: "a gapped tx never evicts executable ones, however rich",
			cfg:  func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = 3*txSize, 3*txSize },
			pool: []*consensus.Tx{pend(0, 1000), pend(1, 1000), pend(2, 1000)},
			add:  gap(3, 1_000_000),
			want: Error{Code: ErrPoolFull},
		},
		{
			name: "a gapped tx in a full pool only evicts cheaper gapped txs",
			cfg:  func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = 3*txSize, 2*txSize },
			pool: []*consensus.Tx{pend(0, 1000), pend(1, 1000), gap(2, 3000)},
			add:  gap(3, 2000),
			want: Error{Code: ErrPoolFull},
		},
		{
			name:     "a gapped tx in a full pool evicts a cheaper gapped one",
			cfg:      func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = 3*txSize, 2*txSize },
			pool:     []*consensus.Tx{pend(0, 1000), pend(1, 1000), gap(2, 3000)},
			add:      gap(3, 4000),
			wantGone: []int{2},
		},
		{
			name:     "an executable tx evicts gapped txs first, whatever their rate",
			cfg:      func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = 4*txSize, 4*txSize },
			pool:     []*consensus.Tx{pend(0, 1000), pend(1, 1000), gap(2, 90_000), gap(3, 80_000)},
			add:      pend(4, 1000), // the minimum fee, no more than any incumbent
			wantGone: []int{3},
		},
		{
			name:     "then cheaper executable txs, as before",
			cfg:      func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = 2*txSize, 2*txSize },
			pool:     []*consensus.Tx{pend(0, 1000), pend(1, 3000)},
			add:      pend(4, 2000),
			wantGone: []int{0},
		},
		{
			name: "and never executable txs at a rate not below its own",
			cfg:  func(c *Config) { c.MaxBytes, c.MaxQueuedBytes = 2*txSize, 2*txSize },
			pool: []*consensus.Tx{pend(0, 2000), pend(1, 3000)},
			add:  pend(4, 2000),
			want: Error{Code: ErrPoolFull},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			for _, k := range ks {
				f.state.set(k.addr, 1e9, 0)
			}
			f.mustAdd(t, tt.pool...)
			checkInvariants(t, f.pool)
			_, err := f.pool.Add(tt.add)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Add: %v, want %v", err, tt.want)
			}
			checkInvariants(t, f.pool)
			gone := map[int]bool{}
			for _, i := range tt.wantGone {
				gone[i] = true
			}
			for i, tx := range tt.pool {
				if f.pool.Has(tx.ID()) == gone[i] {
					t.Errorf("pool tx %d: in pool %v, want %v", i, !gone[i], !gone[i])
				}
			}
			if f.pool.Has(tt.add.ID()) != (tt.want == nil) {
				t.Errorf("newcomer in pool %v", f.pool.Has(tt.add.ID()))
			}
		})
	}
}

// Promotion (a tx fills the gap) and demotion (the state moves back) move
// txs between the pending and queued accounts; demotion beyond the queued
// caps evicts the cheapest queued txs.
func TestQueuedAccounting(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxQueued = 3 })
	a, b := newKey(1), newKey(2)
	f.state.set(a.addr, 1e9, 0)
	f.state.set(b.addr, 1e9, 0)
	want := func(pending, queued int) {
		t.Helper()
		checkInvariants(t, f.pool)
		st := f.pool.Stats()
		if st.Pending != pending || st.Queued != queued || st.QueuedBytes != queued*txSize {
			t.Fatalf("pending %d queued %d (%d bytes), want %d %d", st.Pending, st.Queued, st.QueuedBytes, pending, queued)
		}
	}
	a0, a1, a2, a3 := a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000), a.tx(t, f.params, 2, 2000), a.tx(t, f.params, 3, 3000)
	f.mustAdd(t, a2, a3)
	want(0, 2)
	f.mustAdd(t, a1)
	want(0, 3)
	b1 := b.tx(t, f.params, 1, 1000) // no richer than the cheapest queued tx
	if _, err := f.pool.Add(b1); !errors.Is(err, Error{Code: ErrQueueFull}) {
		t.Fatalf("Add b1: %v, want ErrQueueFull", err)
	}
	f.mustAdd(t, a0) // fills the gap: all four executable
	want(4, 0)
	f.mustAdd(t, b1)
	want(4, 1)

	// A block mines a0 and a1; then a reorg takes it back and the state
	// shows nonce 0 again, but the block's txs do not come back: a2 and a3
	// are gapped again, and with b1 the queue is exactly at its cap.
	f.state.connect(t, a0, a1)
	f.pool.BlockConnected(block(f.params, 1, a0, a1))
	want(2, 1)
	f.state.set(a.addr, 1e9, 0)
	f.pool.BlockDisconnected(nil) // the block's txs did not come back
	want(0, 3)

	// One more demotion past the cap: the cheapest queued txs go, each
	// with the txs behind it.
	c := newKey(3)
	f.state.set(c.addr, 1e9, 5)
	c5, c6 := c.tx(t, f.params, 5, 1000), c.tx(t, f.params, 6, 1000)
	f.mustAdd(t, c5, c6)
	f.state.set(c.addr, 1e9, 4)
	f.pool.BlockDisconnected(nil)
	// Queued: a2 (2000), a3 (3000), b1, c5, c6 (1000 each): the newest of
	// the cheapest go first, c6 and then c5.
	want(0, 3)
	if f.pool.Has(c5.ID()) || f.pool.Has(c6.ID()) || !f.pool.Has(a2.ID()) {
		t.Fatal("trim evicted the wrong txs")
	}
	if ev := f.pool.Stats().Evicted; ev != 2 {
		t.Fatalf("evicted %d, want 2", ev)
	}
}

// Random adds, blocks and reorgs keep the accounting and the caps right.
func TestQueuedAccountingRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 8))
	f := newFixture(t, func(c *Config) {
		c.MaxBytes, c.MaxQueued, c.MaxQueuedBytes = 40*txSize, 8, 12*txSize
		c.MaxQueuedPerSender = 4
	})
	keys := make([]*key, 12)
	for i := range keys {
		keys[i] = newKey(i)
		f.state.set(keys[i].addr, 1e9, 0)
	}
	// Unsigned txs, admitted past the signature check: this test is about
	// bookkeeping, and signing thousands under -race is slow.
	add := func(k *key, nonce, fee uint64) {
		tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: f.params.ChainID, Nonce: nonce, To: sink,
			Amount: 1000, Fee: fee, PubKey: k.pub, Memo: make([]byte, rng.IntN(40))}
		e, err := f.pool.prepare(tx)
		if err == nil {
			err = f.pool.admit(e, true)
		}
		var pe Error
		if err != nil && !errors.As(err, &pe) && consensus.CodeOf(err) != consensus.ErrInsufficientFunds {
			t.Fatalf("unexpected refusal: %v", err)
		}
	}
	var height uint64
	for step := range 3000 {
		switch r := rng.IntN(100); {
		case r < 85:
			k := keys[rng.IntN(len(keys))]
			acct, _ := f.state.Account(k.addr)
			add(k, acct.Nonce+uint64(rng.IntN(6)), 1000+rng.Uint64N(20_000))
		case r < 95: // mine a template
			txs := f.pool.Template(rng.IntN(10)+1, 0)
			f.state.connect(t, txs...)
			height++
			f.pool.BlockConnected(block(f.params, height, txs...))
		default: // the state moves back, without the txs coming back
			k := keys[rng.IntN(len(keys))]
			acct, _ := f.state.Account(k.addr)
			f.state.set(k.addr, acct.Balance, acct.Nonce/2)
			f.pool.BlockDisconnected(nil)
		}
		checkInvariants(t, f.pool)
		if step == 2999 && f.pool.Stats().Queued == 0 {
			t.Fatal("weak test: nothing queued at the end")
		}
	}
	st := f.pool.Stats()
	if st.Evicted == 0 || st.Rejected["ErrQueueFull"] == 0 {
		t.Fatalf("weak test: stats %+v", st)
	}
}
