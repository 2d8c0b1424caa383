package mempool

import (
	"sync"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

func TestBlockConnected(t *testing.T) {
	f := newFixture(t, nil)
	a, b, c, d := newKey(1), newKey(2), newKey(3), newKey(4)
	f.state.set(a.addr, 1e9, 0)
	f.state.set(b.addr, 30_000, 0)
	f.state.set(c.addr, 1e9, 0)
	f.state.set(d.addr, 1e9, 0)
	a0, a1, a2 := a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000), a.tx(t, f.params, 2, 1000)
	b0, b1 := b.tx(t, f.params, 0, 1000), b.tx(t, f.params, 1, 1000)
	c0 := c.tx(t, f.params, 0, 1000)
	f.mustAdd(t, a0, a1, a2, b0, b1, c0)

	// The block holds a0, a1 and a different b nonce 0 (sent via another
	// node) that spends most of b's balance, so the pool's b0 is stale and
	// b1 unaffordable. c is untouched; d only receives.
	bOther := b.tx(t, f.params, 0, 1000, withAmount(28_500), withTo(d.addr))
	blk := block(f.params, 1, a0, a1, bOther)
	f.state.connect(t, blk.Txs[1:]...)
	f.pool.BlockConnected(blk)

	for _, tc := range []struct {
		tx   *consensus.Tx
		want bool
	}{{a0, false}, {a1, false}, {a2, true}, {b0, false}, {b1, false}, {c0, true}} {
		if got := f.pool.Has(tc.tx.ID()); got != tc.want {
			t.Errorf("nonce %d of %x: in pool %v, want %v", tc.tx.Nonce, tc.tx.Sender(), got, tc.want)
		}
	}
	st := f.pool.Stats()
	if st.Included != 2 || st.Invalidated != 2 || st.Pending != 2 || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
	if n, _ := f.pool.NextNonce(a.addr); n != 3 {
		t.Errorf("a's next nonce %d, want 3", n)
	}
}

func TestBlockDisconnectedReorg(t *testing.T) {
	f := newFixture(t, nil)
	a, b, c := newKey(1), newKey(2), newKey(3)
	f.state.set(a.addr, 1e9, 0)
	f.state.set(b.addr, 1e9, 0)
	f.state.set(c.addr, 20_000, 0)
	a0, a1 := a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000)
	b0 := b.tx(t, f.params, 0, 1000)
	c0 := c.tx(t, f.params, 0, 1000)
	f.mustAdd(t, a0, a1, b0, c0)

	// Fork point state; block 1 mines everything.
	fork := f.state.snapshot()
	old := block(f.params, 1, a0, a1, b0)
	f.state.connect(t, old.Txs[1:]...)
	f.pool.BlockConnected(old)
	if f.pool.Count() != 1 {
		t.Fatalf("count %d after connect, want 1 (c0)", f.pool.Count())
	}

	// A competing branch wins: it mines b0 again and a c tx sent elsewhere
	// that leaves c unable to pay for its pool tx. A tx that never went
	// through this pool carries a bad signature and must not come back.
	cOther := c.tx(t, f.params, 0, 1000, withAmount(18_000))
	forged := newKey(9).tx(t, f.params, 0, 1000)
	forged.Amount++
	f.state.mu.Lock()
	f.state.m = fork
	f.state.mu.Unlock()
	repl := block(f.params, 1, b0, cOther)
	f.state.connect(t, repl.Txs[1:]...)
	// Notifications arrive after the state already shows the new tip.
	old.Txs = append(old.Txs, forged)
	f.pool.BlockDisconnected(old)
	f.pool.BlockConnected(repl)

	for _, tc := range []struct {
		name string
		tx   *consensus.Tx
		want bool
	}{{"a0", a0, true}, {"a1", a1, true}, {"b0 (re-mined)", b0, false}, {"c0 (spent on new branch)", c0, false}, {"forged", forged, false}} {
		if got := f.pool.Has(tc.tx.ID()); got != tc.want {
			t.Errorf("%s: in pool %v, want %v", tc.name, got, tc.want)
		}
	}
	st := f.pool.Stats()
	if st.Reinjected != 2 || st.Pending != 2 {
		t.Errorf("stats %+v", st)
	}
	tmpl := f.pool.Template(0, 0)
	s := f.state.snapshot()
	for _, tx := range tmpl {
		if err := consensus.ApplyTx(s, tx); err != nil {
			t.Fatalf("template after reorg does not apply: %v", err)
		}
	}
	if len(tmpl) != 2 {
		t.Fatalf("template has %d txs, want 2", len(tmpl))
	}
}

// Re-added txs still obey the pool's limits.
func TestBlockDisconnectedRespectsLimits(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxPerSender = 2 })
	a := newKey(1)
	f.state.set(a.addr, 1e9, 0)
	txs := []*consensus.Tx{a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000), a.tx(t, f.params, 2, 1000)}
	f.pool.BlockDisconnected(block(f.params, 1, txs...))
	if f.pool.Count() != 2 || !f.pool.Has(txs[0].ID()) || !f.pool.Has(txs[1].ID()) {
		t.Fatalf("count %d, want nonces 0 and 1", f.pool.Count())
	}
}

// hookState runs a hook before the first read it serves.
type hookState struct {
	*memState
	once sync.Once
	hook func()
}

func (s *hookState) Account(a consensus.Address) (consensus.Account, error) {
	acct, err := s.memState.Account(a)
	s.once.Do(s.hook) // the read above is now stale
	return acct, err
}

// A block that lands while Add reads state must not leave Add working from
// the pre-block state.
func TestAddRereadsStateAfterBlock(t *testing.T) {
	f := newFixture(t, nil)
	a := newKey(1)
	f.state.set(a.addr, 1e9, 0)
	a0, a1 := a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000)
	f.mustAdd(t, a0)
	hs := &hookState{memState: f.state}
	hs.hook = func() {
		blk := block(f.params, 1, a0)
		f.state.connect(t, a0)
		f.pool.BlockConnected(blk)
	}
	f.pool.cfg.State = hs
	f.mustAdd(t, a1)
	if st := f.pool.Stats(); st.Count != 1 || st.Pending != 1 || st.Included != 1 {
		t.Fatalf("stats %+v, want a1 pending", st)
	}
}
