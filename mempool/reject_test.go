package mempool

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// countingState counts account reads.
type countingState struct {
	*memState
	reads atomic.Int64
}

func (s *countingState) Account(a consensus.Address) (consensus.Account, error) {
	s.reads.Add(1)
	return s.memState.Account(a)
}

// signAll signs, on every core, perSender transfers for each key, nonce-major
// so a block can apply them in order.
func signAll(tb testing.TB, p *consensus.Params, keys []*key, perSender int) []*consensus.Tx {
	tb.Helper()
	txs := make([]*consensus.Tx, len(keys)*perSender)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				txs[i] = keys[i%len(keys)].fastTx(tb, p, uint64(i/len(keys)), 1000+uint64(i%7))
			}
		}()
	}
	wg.Wait()
	return txs
}

// The replay flood: a block's worth of mined txs submitted again,
// twice. Neither round verifies a signature; the second reads no state.
func TestReplayFlood(t *testing.T) {
	const senders, perSender = 100, 50 // 5,000 txs
	f := newFixture(t, nil)
	cs := &countingState{memState: f.state}
	f.pool.cfg.State = cs
	keys := make([]*key, senders)
	for i := range keys {
		keys[i] = newKey(i)
		f.state.set(keys[i].addr, 1e12, 0)
	}
	txs := signAll(t, f.params, keys, perSender)
	// Some went through this pool before they were mined; most did not.
	f.mustAdd(t, txs[:senders]...)
	blk := block(f.params, 1, txs...)
	f.state.connect(t, txs...)
	f.pool.BlockConnected(blk)
	if st := f.pool.Stats(); st.Count != 0 || st.Included != senders || st.SigVerifications != senders {
		t.Fatalf("after the block: %d txs in the pool, %d included, %d verified; want 0, %d, %d",
			st.Count, st.Included, st.SigVerifications, senders, senders)
	}

	round := func(name string, wantCached bool) (sigs, hits uint64, reads int64) {
		t.Helper()
		before := f.pool.Stats()
		readsBefore := cs.reads.Load()
		for _, tx := range txs {
			_, err := f.pool.Add(tx)
			if !errors.Is(err, Error{Code: ErrNonceTooLow}) {
				t.Fatalf("%s: Add: %v, want ErrNonceTooLow", name, err)
			}
			var rr RecentlyRejectedError
			if cached := errors.As(err, &rr); cached != wantCached {
				t.Fatalf("%s: answered from the filter %v, want %v (%v)", name, cached, wantCached, err)
			}
		}
		after := f.pool.Stats()
		return after.SigVerifications - before.SigVerifications,
			after.RejectedCacheHits - before.RejectedCacheHits, cs.reads.Load() - readsBefore
	}
	if sigs, hits, reads := round("round 1", false); sigs != 0 || hits != 0 || reads != int64(len(txs)) {
		t.Fatalf("round 1: %d verifications, %d filter hits, %d state reads; want 0, 0, %d", sigs, hits, reads, len(txs))
	}
	if n := f.pool.Stats().RejectCached; n != len(txs) {
		t.Fatalf("filter holds %d ids, want %d", n, len(txs))
	}
	if sigs, hits, reads := round("round 2", true); sigs != 0 || hits != uint64(len(txs)) || reads != 0 {
		t.Fatalf("round 2: %d verifications, %d filter hits, %d state reads; want 0, %d, 0", sigs, hits, reads, len(txs))
	}
	if n := f.pool.Stats().Rejected["ErrNonceTooLow"]; n != 2*uint64(len(txs)) {
		t.Fatalf("Rejected[ErrNonceTooLow] = %d, want %d", n, 2*len(txs))
	}
	// A new tip clears the filter: the next round is decided on state
	// again, still without signatures.
	f.pool.BlockConnected(block(f.params, 2))
	if n := f.pool.Stats().RejectCached; n != 0 {
		t.Fatalf("filter holds %d ids after a new block", n)
	}
	if sigs, hits, _ := round("round 3", false); sigs != 0 || hits != 0 {
		t.Fatalf("round 3: %d verifications, %d filter hits; want 0, 0", sigs, hits)
	}
}

// Bad signatures are verified once per id; a forged variant of an honest tx
// has its own id (the id hashes the signature), so it cannot block the
// honest one.
func TestBadSignatureRememberedByID(t *testing.T) {
	const senders = 50
	f := newFixture(t, nil)
	keys := make([]*key, senders)
	for i := range keys {
		keys[i] = newKey(i)
		f.state.set(keys[i].addr, 1e12, 0)
	}
	honest := signAll(t, f.params, keys, 1)
	forged := make([]*consensus.Tx, len(honest))
	for i, tx := range honest {
		c := *tx
		c.Sig[5] ^= 0x40 // same content, a signature that does not verify
		forged[i] = &c
		if c.ID() == tx.ID() {
			t.Fatal("tx id does not commit to the signature")
		}
	}
	for r := 1; r <= 2; r++ {
		before := f.pool.Stats()
		for _, tx := range forged {
			_, err := f.pool.Add(tx)
			if consensus.CodeOf(err) != consensus.ErrBadSignature {
				t.Fatalf("round %d: Add forged: %v, want ErrBadSignature", r, err)
			}
		}
		after := f.pool.Stats()
		sigs, hits := after.SigVerifications-before.SigVerifications, after.RejectedCacheHits-before.RejectedCacheHits
		if r == 1 && (sigs != senders || hits != 0) {
			t.Fatalf("round 1: %d verifications, %d hits; want %d, 0", sigs, hits, senders)
		}
		if r == 2 && (sigs != 0 || hits != senders) {
			t.Fatalf("round 2: %d verifications, %d hits; want 0, %d", sigs, hits, senders)
		}
	}
	before := f.pool.Stats().SigVerifications
	f.mustAdd(t, honest...)
	if got := f.pool.Stats().SigVerifications - before; got != senders {
		t.Fatalf("honest txs: %d verifications, want %d", got, senders)
	}
	if got := f.pool.Count(); got != senders {
		t.Fatalf("pool holds %d txs, want the %d honest ones", got, senders)
	}
}

// State refusals come before the signature check: such a tx is refused with
// its state error and its signature is never looked at.
func TestStateRefusalsSkipSignature(t *testing.T) {
	f := newFixture(t, nil)
	a := newKey(1)
	f.state.set(a.addr, 5000, 3)
	bad := func(tx *consensus.Tx) *consensus.Tx { tx.Sig[0] ^= 1; return tx }
	for _, tc := range []struct {
		name string
		tx   *consensus.Tx
		want error
	}{
		{"nonce too low", bad(a.tx(t, f.params, 2, 1000)), Error{Code: ErrNonceTooLow}},
		{"cost above balance", bad(a.tx(t, f.params, 3, 1000, withAmount(4001))), consensus.RuleError{Code: consensus.ErrInsufficientFunds}},
		{"nonce beyond gap", bad(a.tx(t, f.params, 3+DefaultMaxNonceGap+1, 1000)), Error{Code: ErrNonceTooHigh}},
	} {
		if _, err := f.pool.Add(tc.tx); !errors.Is(err, tc.want) {
			t.Errorf("%s: Add: %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := f.pool.Stats().SigVerifications; n != 0 {
		t.Fatalf("%d signatures verified for state refusals", n)
	}
	// A tx that passes the state checks still has its signature checked.
	if _, err := f.pool.Add(bad(a.tx(t, f.params, 3, 1000))); consensus.CodeOf(err) != consensus.ErrBadSignature {
		t.Fatalf("Add: %v, want ErrBadSignature", err)
	}
	if n := f.pool.Stats().SigVerifications; n != 1 {
		t.Fatalf("%d signatures verified, want 1", n)
	}
}

// What the filter remembers: only refusals no pool change can undo before
// the next block. The others pass once the pool changes, with no new tip.
func TestRejectFilterScope(t *testing.T) {
	a, b := newKey(1), newKey(2)
	tests := []struct {
		name     string
		cfg      func(*Config)
		setup    func(t *testing.T, f *fixture) *consensus.Tx
		want     error
		remember bool
		// later changes the pool (never the tip) so the tx is accepted;
		// only for refusals that are not remembered.
		later func(t *testing.T, f *fixture)
	}{
		{name: "nonce too low", remember: true, want: Error{Code: ErrNonceTooLow},
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				f.state.set(a.addr, 1e9, 1)
				return a.tx(t, f.params, 0, 1000)
			}},
		{name: "cost above the whole balance", remember: true, want: consensus.RuleError{Code: consensus.ErrInsufficientFunds},
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				f.state.set(a.addr, 1999, 0)
				return a.tx(t, f.params, 0, 1000)
			}},
		{name: "nonce beyond any admissible gap", remember: true, want: Error{Code: ErrNonceTooHigh},
			cfg: func(c *Config) { c.MaxNonceGap, c.MaxPerSender = 3, 4 },
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				return a.tx(t, f.params, 8, 1000) // 4 pending + gap 3 reach nonce 7 at most
			}},
		{name: "bad signature", remember: true, want: consensus.RuleError{Code: consensus.ErrBadSignature},
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				tx := a.tx(t, f.params, 0, 1000)
				tx.Sig[9] ^= 1
				return tx
			}},
		{name: "wrong chain id (stateless)", want: consensus.RuleError{Code: consensus.ErrWrongChainID},
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				return a.tx(t, f.params, 0, 1000, func(tx *consensus.Tx) { tx.ChainID++ })
			}},
		{name: "funds short because of earlier pool txs", want: consensus.RuleError{Code: consensus.ErrInsufficientFunds},
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				f.state.set(a.addr, 10_000, 0)
				f.mustAdd(t, a.tx(t, f.params, 0, 1000, withAmount(7500)))
				return a.tx(t, f.params, 1, 1000) // 8500 + 2000 > 10,000
			},
			later: func(t *testing.T, f *fixture) {
				f.mustAdd(t, a.tx(t, f.params, 0, 2000, withAmount(10))) // cheaper replacement frees funds
			}},
		{name: "nonce gap within reach", want: Error{Code: ErrNonceTooHigh},
			cfg: func(c *Config) { c.MaxNonceGap = 2 },
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				return a.tx(t, f.params, 3, 1000)
			},
			later: func(t *testing.T, f *fixture) { f.mustAdd(t, a.tx(t, f.params, 0, 1000)) }},
		{name: "pool full", want: Error{Code: ErrPoolFull},
			cfg: func(c *Config) { c.MaxBytes = txSize },
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				f.mustAdd(t, b.tx(t, f.params, 0, 5000))
				return a.tx(t, f.params, 0, 1000)
			},
			later: func(t *testing.T, f *fixture) {
				f.clock.advance(4 * time.Hour)
				f.pool.Expire()
			}},
		{name: "replacement underpriced", want: Error{Code: ErrReplacementUnderpriced},
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				f.mustAdd(t, a.tx(t, f.params, 0, 5000))
				return a.tx(t, f.params, 0, 5001)
			},
			later: func(t *testing.T, f *fixture) {
				f.clock.advance(4 * time.Hour)
				f.pool.Expire()
			}},
		{name: "queue full", want: Error{Code: ErrQueueFull},
			cfg: func(c *Config) { c.MaxQueued = 1 },
			setup: func(t *testing.T, f *fixture) *consensus.Tx {
				f.mustAdd(t, b.tx(t, f.params, 1, 1000))
				return a.tx(t, f.params, 1, 1000)
			},
			// b's gap filled: b1 is executable now and leaves the queue.
			later: func(t *testing.T, f *fixture) { f.mustAdd(t, b.tx(t, f.params, 0, 1000)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			f.state.set(a.addr, 1e9, 0)
			f.state.set(b.addr, 1e9, 0)
			tx := tt.setup(t, f)
			if _, err := f.pool.Add(tx); !errors.Is(err, tt.want) {
				t.Fatalf("first Add: %v, want %v", err, tt.want)
			}
			_, err := f.pool.Add(tx)
			if !errors.Is(err, tt.want) || consensus.CodeOf(err) != consensus.CodeOf(tt.want) {
				t.Fatalf("second Add: %v, want %v", err, tt.want)
			}
			var rr RecentlyRejectedError
			st := f.pool.Stats()
			if got := errors.As(err, &rr); got != tt.remember || (st.RejectedCacheHits == 1) != tt.remember {
				t.Fatalf("second Add from the filter: %v (%d hits), want %v", got, st.RejectedCacheHits, tt.remember)
			}
			if tt.later != nil {
				tt.later(t, f)
				if _, err := f.pool.Add(tx); err != nil {
					t.Fatalf("after the pool changed: %v", err)
				}
			}
			checkInvariants(t, f.pool)
		})
	}
}

// Every block notification clears the filter, connected or disconnected.
func TestRejectFilterClearedOnTipChange(t *testing.T) {
	f := newFixture(t, nil)
	a, b := newKey(1), newKey(2)
	poor := a.tx(t, f.params, 0, 1000)
	if _, err := f.pool.Add(poor); consensus.CodeOf(err) != consensus.ErrInsufficientFunds {
		t.Fatalf("Add: %v, want ErrInsufficientFunds", err)
	}
	f.state.set(a.addr, 1e9, 0) // a block funded a
	f.pool.BlockConnected(block(f.params, 1))
	f.mustAdd(t, poor)

	f.state.set(b.addr, 1e9, 1)
	used := b.tx(t, f.params, 0, 1000)
	if _, err := f.pool.Add(used); !errors.Is(err, Error{Code: ErrNonceTooLow}) {
		t.Fatalf("Add: %v, want ErrNonceTooLow", err)
	}
	// A reorg takes back the block that used b's nonce 0.
	f.state.set(b.addr, 1e9, 0)
	f.pool.BlockDisconnected(block(f.params, 1))
	f.mustAdd(t, used)
	if st := f.pool.Stats(); st.RejectedCacheHits != 0 || st.Count != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// The filter forgets its oldest ids beyond Config.RejectCacheSize.
func TestRejectFilterBounded(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.RejectCacheSize = 3 })
	a := newKey(1)
	f.state.set(a.addr, 1e9, 10)
	var txs []*consensus.Tx
	for n := range 5 {
		tx := a.tx(t, f.params, uint64(n), 1000)
		txs = append(txs, tx)
		_, _ = f.pool.Add(tx)
	}
	if n := f.pool.Stats().RejectCached; n != 3 {
		t.Fatalf("filter holds %d ids, want 3", n)
	}
	var rr RecentlyRejectedError
	if _, err := f.pool.Add(txs[4]); !errors.As(err, &rr) {
		t.Fatalf("newest id not remembered: %v", err)
	}
	if _, err := f.pool.Add(txs[0]); errors.As(err, &rr) || !errors.Is(err, Error{Code: ErrNonceTooLow}) {
		t.Fatalf("oldest id: %v, want a fresh ErrNonceTooLow", err)
	}
}

// A state refusal decided on a read that a block notification overtook is
// decided again on fresh state, not remembered.
func TestStateRefusalRereadsAfterBlock(t *testing.T) {
	f := newFixture(t, nil)
	a := newKey(1)
	hs := &hookState{memState: f.state}
	hs.hook = func() {
		f.state.set(a.addr, 1e9, 0) // the block that funds a lands mid-read
		f.pool.BlockConnected(block(f.params, 1))
	}
	f.pool.cfg.State = hs
	f.mustAdd(t, a.tx(t, f.params, 0, 1000))
	if st := f.pool.Stats(); st.RejectCached != 0 || st.SigVerifications != 1 {
		t.Fatalf("stats %+v", st)
	}
}
