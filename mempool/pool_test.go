package mempool

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

func TestAddRejections(t *testing.T) {
	const fund = 1_000_000
	a, b := newKey(1), newKey(2)
	tests := []struct {
		name  string
		cfg   func(*Config)
		setup func(t *testing.T, f *fixture) *consensus.Tx // returns the tx to add
		want  error
	}{
		{"wrong chain id", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			return a.tx(t, f.params, 0, 1000, func(tx *consensus.Tx) { tx.ChainID++ })
		}, consensus.RuleError{Code: consensus.ErrWrongChainID}},
		{"fee below consensus minimum", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			return a.tx(t, f.params, 0, 999)
		}, consensus.RuleError{Code: consensus.ErrFeeTooLow}},
		{"amount plus fee overflows", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			return a.tx(t, f.params, 0, 1000, withAmount(math.MaxUint64))
		}, consensus.RuleError{Code: consensus.ErrOverflow}},
		{"coinbase", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			return &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: f.params.ChainID, To: sink, Amount: 1}
		}, consensus.RuleError{Code: consensus.ErrMultipleCoinbase}},
		{"too big", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			return a.tx(t, f.params, 0, 1000, withMemo(consensus.MaxMemoSize+1))
		}, Error{Code: ErrTooBig}},
		{"fee below relay minimum", func(c *Config) { c.MinRelayFee = 2000 }, func(t *testing.T, f *fixture) *consensus.Tx {
			return a.tx(t, f.params, 0, 1999)
		}, Error{Code: ErrFeeBelowRelay}},
		{"bad signature", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			tx := a.tx(t, f.params, 0, 1000)
			tx.Amount++ // after signing
			return tx
		}, consensus.RuleError{Code: consensus.ErrBadSignature}},
		{"already known", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			tx := a.tx(t, f.params, 0, 1000)
			f.mustAdd(t, tx)
			return tx
		}, Error{Code: ErrAlreadyKnown}},
		{"nonce too low", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			f.state.set(a.addr, fund, 5)
			return a.tx(t, f.params, 4, 1000)
		}, Error{Code: ErrNonceTooLow}},
		{"nonce beyond gap", func(c *Config) { c.MaxNonceGap = 3 }, func(t *testing.T, f *fixture) *consensus.Tx {
			f.mustAdd(t, a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 4, 1000)) // 1 pending: gap 3 allowed
			return a.tx(t, f.params, 5, 1000)
		}, Error{Code: ErrNonceTooHigh}},
		{"cannot afford tx", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			f.state.set(a.addr, 1999, 0)
			return a.tx(t, f.params, 0, 1000)
		}, consensus.RuleError{Code: consensus.ErrInsufficientFunds}},
		{"cannot afford chain", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			f.state.set(a.addr, 4000, 0)
			f.mustAdd(t, a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000))
			return a.tx(t, f.params, 2, 1000)
		}, consensus.RuleError{Code: consensus.ErrInsufficientFunds}},
		{"cannot afford queued chain", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			f.state.set(a.addr, 4000, 0)
			f.mustAdd(t, a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 3, 1000))
			return a.tx(t, f.params, 5, 1000) // lower nonces, gaps included, use the balance
		}, consensus.RuleError{Code: consensus.ErrInsufficientFunds}},
		{"sender limit", func(c *Config) { c.MaxPerSender = 2 }, func(t *testing.T, f *fixture) *consensus.Tx {
			f.mustAdd(t, a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000))
			return a.tx(t, f.params, 2, 1000)
		}, Error{Code: ErrSenderLimit}},
		{"queued limit", func(c *Config) { c.MaxQueuedPerSender = 1 }, func(t *testing.T, f *fixture) *consensus.Tx {
			f.mustAdd(t, a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 2, 1000))
			return a.tx(t, f.params, 3, 1000)
		}, Error{Code: ErrSenderLimit}},
		{"replacement underpriced", nil, func(t *testing.T, f *fixture) *consensus.Tx {
			f.mustAdd(t, a.tx(t, f.params, 0, 10_000))
			return a.tx(t, f.params, 0, 10_900)
		}, Error{Code: ErrReplacementUnderpriced}},
		{"pool full", func(c *Config) { c.MaxBytes = 2 * txSize }, func(t *testing.T, f *fixture) *consensus.Tx {
			f.mustAdd(t, a.tx(t, f.params, 0, 2000), b.tx(t, f.params, 0, 3000))
			return newKey(3).tx(t, f.params, 0, 2000) // ties lose to incumbents
		}, Error{Code: ErrPoolFull}},
		{"pool full behind evicted tx", func(c *Config) { c.MaxBytes = 2 * txSize }, func(t *testing.T, f *fixture) *consensus.Tx {
			f.mustAdd(t, a.tx(t, f.params, 0, 1000), b.tx(t, f.params, 0, 3000))
			return a.tx(t, f.params, 1, 9000) // would evict a's nonce 0, its own parent
		}, Error{Code: ErrPoolFull}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			for _, k := range []*key{a, b, newKey(3)} {
				f.state.set(k.addr, fund, 0)
			}
			tx := tt.setup(t, f)
			before := f.pool.Count()
			_, err := f.pool.Add(tx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Add: got %v, want %v", err, tt.want)
			}
			if got := f.pool.Count(); got != before {
				t.Errorf("count changed from %d to %d on rejection", before, got)
			}
			reason := ""
			var pe Error
			if errors.As(tt.want, &pe) {
				reason = pe.Code.String()
			} else {
				reason = consensus.CodeOf(tt.want).String()
			}
			if n := f.pool.Stats().Rejected[reason]; n != 1 {
				t.Errorf("Stats.Rejected[%s] = %d, want 1", reason, n)
			}
		})
	}
}

func TestReplacement(t *testing.T) {
	a := newKey(1)
	tests := []struct {
		name     string
		balance  uint64
		oldFee   uint64
		newFee   uint64
		newAmt   uint64
		later    int // txs queued behind the replaced one (nonces 1..later)
		want     error
		keptLate int // how many later txs survive
	}{
		{name: "bump exactly 10%", balance: 1e9, oldFee: 10_000, newFee: 11_000, newAmt: 1000},
		{name: "bump 9%", balance: 1e9, oldFee: 10_000, newFee: 10_900, newAmt: 1000, want: Error{Code: ErrReplacementUnderpriced}},
		{name: "bump 10% minus one", balance: 1e9, oldFee: 10_000, newFee: 10_999, newAmt: 1000, want: Error{Code: ErrReplacementUnderpriced}},
		{name: "same fee", balance: 1e9, oldFee: 10_000, newFee: 10_000, newAmt: 5, want: Error{Code: ErrReplacementUnderpriced}},
		{name: "lower fee", balance: 1e9, oldFee: 10_000, newFee: 5_000, newAmt: 1000, want: Error{Code: ErrReplacementUnderpriced}},
		{name: "replacement unaffordable", balance: 12_000, oldFee: 10_000, newFee: 11_000, newAmt: 1001,
			want: consensus.RuleError{Code: consensus.ErrInsufficientFunds}},
		{name: "later txs kept", balance: 1e9, oldFee: 10_000, newFee: 20_000, newAmt: 1000, later: 3, keptLate: 3},
		// Followers cost 11000 each; the new nonce 0 costs 12000: 12000+11000 fit, +11000 does not.
		{name: "later txs made unaffordable are dropped", balance: 33_500, oldFee: 10_000, newFee: 11_000, newAmt: 1000,
			later: 2, keptLate: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.state.set(a.addr, tt.balance, 0)
			old := a.tx(t, f.params, 0, tt.oldFee)
			f.mustAdd(t, old)
			for n := 1; n <= tt.later; n++ {
				f.mustAdd(t, a.tx(t, f.params, uint64(n), 10_000))
			}
			repl := a.tx(t, f.params, 0, tt.newFee, withAmount(tt.newAmt))
			id, err := f.pool.Add(repl)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Add: got %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				if !f.pool.Has(old.ID()) || f.pool.Has(id) {
					t.Fatal("rejected replacement changed the pool")
				}
				return
			}
			if f.pool.Has(old.ID()) || !f.pool.Has(id) {
				t.Fatal("replacement did not swap the txs")
			}
			if got := f.pool.Count(); got != 1+tt.keptLate {
				t.Errorf("count %d, want %d", got, 1+tt.keptLate)
			}
			st := f.pool.Stats()
			if st.Replaced != 1 || st.Invalidated != uint64(tt.later-tt.keptLate) {
				t.Errorf("stats replaced %d invalidated %d", st.Replaced, st.Invalidated)
			}
		})
	}
}

func TestQueuedPromotion(t *testing.T) {
	f := newFixture(t, nil)
	a := newKey(1)
	f.state.set(a.addr, 1e9, 3)
	check := func(pending, queued int, next uint64) {
		t.Helper()
		st := f.pool.Stats()
		if st.Pending != pending || st.Queued != queued {
			t.Errorf("pending %d queued %d, want %d %d", st.Pending, st.Queued, pending, queued)
		}
		if n, err := f.pool.NextNonce(a.addr); err != nil || n != next {
			t.Errorf("NextNonce %d (%v), want %d", n, err, next)
		}
		if got := len(f.pool.Template(0, 0)); got != pending {
			t.Errorf("template has %d txs, want %d", got, pending)
		}
	}
	f.mustAdd(t, a.tx(t, f.params, 6, 1000), a.tx(t, f.params, 4, 1000))
	check(0, 2, 3)
	f.mustAdd(t, a.tx(t, f.params, 3, 1000))
	check(2, 1, 5)
	f.mustAdd(t, a.tx(t, f.params, 5, 1000))
	check(4, 0, 7)
	tmpl := f.pool.Template(0, 0)
	for i, tx := range tmpl {
		if tx.Nonce != uint64(3+i) {
			t.Fatalf("template[%d] nonce %d", i, tx.Nonce)
		}
	}
}

func TestEviction(t *testing.T) {
	p := consensus.RegtestParams()
	ks := []*key{newKey(1), newKey(2), newKey(3), newKey(4), newKey(5)}
	tests := []struct {
		name     string
		pool     []*consensus.Tx // fills MaxBytes exactly
		add      *consensus.Tx
		wantErr  error
		wantGone []*consensus.Tx
	}{
		{
			name:     "cheapest goes",
			pool:     []*consensus.Tx{ks[0].tx(t, p, 0, 1000), ks[1].tx(t, p, 0, 3000), ks[2].tx(t, p, 0, 5000)},
			add:      ks[3].tx(t, p, 0, 2000),
			wantGone: nil, // filled in below: ks[0]'s tx
		},
		{
			name: "tail goes with its parent",
			pool: []*consensus.Tx{ks[0].tx(t, p, 0, 1000), ks[0].tx(t, p, 1, 9000), ks[1].tx(t, p, 0, 3000)},
			add:  ks[3].tx(t, p, 0, 2000),
		},
		{
			name: "larger tx evicts several",
			pool: []*consensus.Tx{ks[0].tx(t, p, 0, 1000), ks[1].tx(t, p, 0, 1100), ks[2].tx(t, p, 0, 9000)},
			add:  ks[3].tx(t, p, 0, 50_000, withMemo(txSize)), // twice the size
		},
		{
			name:    "fee rate, not fee, decides",
			pool:    []*consensus.Tx{ks[0].tx(t, p, 0, 1000), ks[1].tx(t, p, 0, 3000), ks[2].tx(t, p, 0, 5000)},
			add:     ks[3].tx(t, p, 0, 1100, withMemo(100)), // higher fee, lower rate than 1000/txSize
			wantErr: Error{Code: ErrPoolFull},
		},
	}
	tests[0].wantGone = tests[0].pool[:1]
	tests[1].wantGone = tests[1].pool[:2]
	tests[2].wantGone = tests[2].pool[:2]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := 0
			for _, tx := range tt.pool {
				size += tx.EncodedSize()
			}
			f := newFixture(t, func(c *Config) { c.MaxBytes = size })
			for _, k := range ks {
				f.state.set(k.addr, 1e9, 0)
			}
			f.mustAdd(t, tt.pool...)
			_, err := f.pool.Add(tt.add)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Add: got %v, want %v", err, tt.wantErr)
			}
			if f.pool.Bytes() > size {
				t.Errorf("pool holds %d bytes, max %d", f.pool.Bytes(), size)
			}
			for _, tx := range tt.wantGone {
				if f.pool.Has(tx.ID()) {
					t.Errorf("tx nonce %d fee %d not evicted", tx.Nonce, tx.Fee)
				}
			}
			if got := f.pool.Stats().Evicted; got != uint64(len(tt.wantGone)) {
				t.Errorf("Stats.Evicted %d, want %d", got, len(tt.wantGone))
			}
			if want := len(tt.pool) - len(tt.wantGone) + btoi(err == nil); f.pool.Count() != want {
				t.Errorf("count %d, want %d", f.pool.Count(), want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestExpire(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Expiry = 3 * time.Hour })
	a, b := newKey(1), newKey(2)
	f.state.set(a.addr, 1e9, 0)
	f.state.set(b.addr, 1e9, 0)
	f.mustAdd(t, a.tx(t, f.params, 0, 1000))
	f.clock.advance(2 * time.Hour)
	f.mustAdd(t, a.tx(t, f.params, 1, 1000), b.tx(t, f.params, 0, 1000))
	if n := f.pool.Expire(); n != 0 {
		t.Fatalf("expired %d before the deadline", n)
	}
	f.clock.advance(time.Hour + time.Second)
	// a's nonce 0 is old; nonce 1 cannot execute without it and goes too.
	if n := f.pool.Expire(); n != 2 {
		t.Fatalf("expired %d, want 2", n)
	}
	if f.pool.Count() != 1 || f.pool.Stats().Expired != 2 {
		t.Fatalf("count %d, stats %+v", f.pool.Count(), f.pool.Stats())
	}
	f.clock.advance(3 * time.Hour)
	if n := f.pool.Expire(); n != 1 || f.pool.Count() != 0 || f.pool.Bytes() != 0 {
		t.Fatalf("expired %d, count %d bytes %d", n, f.pool.Count(), f.pool.Bytes())
	}
}

func TestWalletQueries(t *testing.T) {
	f := newFixture(t, nil)
	a, b := newKey(1), newKey(2)
	f.state.set(a.addr, 1e9, 2)
	f.state.set(b.addr, 1e9, 0)
	a2 := a.tx(t, f.params, 2, 1000, withAmount(500))
	a3 := a.tx(t, f.params, 3, 2000, withAmount(700))
	a5 := a.tx(t, f.params, 5, 1000)
	ba := b.tx(t, f.params, 0, 1000, withTo(a.addr))
	f.mustAdd(t, a2, a5, ba, a3)
	if n, _ := f.pool.NextNonce(a.addr); n != 4 {
		t.Errorf("NextNonce %d, want 4", n)
	}
	if n, _ := f.pool.NextNonce(newKey(9).addr); n != 0 {
		t.Errorf("NextNonce of unknown account %d", n)
	}
	if got, want := f.pool.PendingSpend(a.addr), uint64(1500+2700+2000); got != want {
		t.Errorf("PendingSpend %d, want %d", got, want)
	}
	touch := f.pool.TxsTouching(a.addr)
	want := []*consensus.Tx{a2, a3, a5, ba}
	if len(touch) != len(want) {
		t.Fatalf("TxsTouching returned %d txs", len(touch))
	}
	for i := range want {
		if touch[i] != want[i] {
			t.Errorf("TxsTouching[%d] nonce %d", i, touch[i].Nonce)
		}
	}
	ids := f.pool.TxIDs()
	txs := f.pool.Txs()
	if len(ids) != 4 || len(txs) != 4 {
		t.Fatalf("TxIDs %d Txs %d", len(ids), len(txs))
	}
	for i := range txs {
		if got, ok := f.pool.Get(ids[i]); !ok || got != txs[i] {
			t.Errorf("Get(TxIDs()[%d]) does not match Txs()[%d]", i, i)
		}
	}
}

func TestConcurrentAdd(t *testing.T) {
	const workers, sendersPer, perSender = 8, 4, 12
	var accepted atomic.Int64
	f := newFixture(t, func(c *Config) { c.OnAccept = func(*consensus.Tx) { accepted.Add(1) } })
	sets := make([][]*consensus.Tx, workers)
	for w := range workers {
		for s := range sendersPer {
			k := newKey(100*w + s)
			f.state.set(k.addr, 1e9, 0)
			for n := range perSender {
				sets[w] = append(sets[w], k.tx(t, f.params, uint64(n), 1000+uint64(n)))
			}
		}
	}
	var wg sync.WaitGroup
	var dupes atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker also submits its neighbour's set: every tx is raced.
			for i, tx := range sets[w] {
				for _, t2 := range []*consensus.Tx{tx, sets[(w+1)%workers][i]} {
					_, err := f.pool.Add(t2)
					switch {
					case errors.Is(err, Error{Code: ErrAlreadyKnown}):
						dupes.Add(1)
					case err != nil:
						t.Errorf("Add: %v", err)
					}
				}
				if i%8 == 0 {
					_ = f.pool.Template(100, 1<<20)
					_ = f.pool.Stats()
				}
			}
		}()
	}
	wg.Wait()
	total := workers * sendersPer * perSender
	st := f.pool.Stats()
	if st.Count != total || st.Pending != total || st.Queued != 0 || st.Senders != workers*sendersPer {
		t.Fatalf("stats %+v, want %d pending txs", st, total)
	}
	if st.Accepted != uint64(total) || accepted.Load() != int64(total) || dupes.Load() != int64(total) {
		t.Fatalf("accepted %d, OnAccept %d, duplicates %d; want %d each", st.Accepted, accepted.Load(), dupes.Load(), total)
	}
	if got := len(f.pool.Template(0, 0)); got != total {
		t.Fatalf("template has %d txs, want %d", got, total)
	}
}
