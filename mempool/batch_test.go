package mempool

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
)

// pair is two pools in the same state: one fed by Add, one by AddBatch.
type pair struct {
	one, batch *fixture
	cache      *sigcache.Cache // the batch pool's
}

func newPair(t *testing.T, edit func(*Config)) *pair {
	t.Helper()
	cache, err := sigcache.New(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{
		one: newFixture(t, edit),
		batch: newFixture(t, func(c *Config) {
			if edit != nil {
				edit(c)
			}
			c.SigCache = cache
			c.Verifier = consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
		}),
		cache: cache,
	}
}

func (p *pair) set(a consensus.Address, balance, nonce uint64) {
	p.one.state.set(a, balance, nonce)
	p.batch.state.set(a, balance, nonce)
}

// check feeds txs to both pools and requires identical answers and pools.
func (p *pair) check(t *testing.T, txs []*consensus.Tx) {
	t.Helper()
	ids, errs := p.batch.pool.AddBatch(txs)
	if len(ids) != len(txs) || len(errs) != len(txs) {
		t.Fatalf("AddBatch returned %d ids, %d errors for %d txs", len(ids), len(errs), len(txs))
	}
	for i, tx := range txs {
		id, err := p.one.pool.Add(tx)
		if id != ids[i] || fmt.Sprint(err) != fmt.Sprint(errs[i]) || reflect.TypeOf(err) != reflect.TypeOf(errs[i]) {
			t.Fatalf("tx %d of %d: Add gave (%s, %v), AddBatch (%s, %v)", i, len(txs), id, err, ids[i], errs[i])
		}
		if consensus.CodeOf(err) != consensus.CodeOf(errs[i]) {
			t.Fatalf("tx %d: codes %v vs %v", i, consensus.CodeOf(err), consensus.CodeOf(errs[i]))
		}
	}
	a, b := p.one.pool.TxIDs(), p.batch.pool.TxIDs()
	if !slices.Equal(a, b) {
		t.Fatalf("pools differ: Add holds %d txs, AddBatch %d", len(a), len(b))
	}
	sa, sb := p.one.pool.Stats(), p.batch.pool.Stats()
	if sa.Accepted != sb.Accepted || !reflect.DeepEqual(sa.Rejected, sb.Rejected) || sa.Replaced != sb.Replaced ||
		sa.Pending != sb.Pending || sa.Queued != sb.Queued || sa.RejectCached != sb.RejectCached {
		t.Fatalf("stats differ:\nAdd      %+v\nAddBatch %+v", sa, sb)
	}
}

func badSig(tx *consensus.Tx) *consensus.Tx { c := *tx; c.Sig[40] ^= 1; return &c }

func TestAddBatchTable(t *testing.T) {
	const fund = 1_000_000
	a, b, c := newKey(1), newKey(2), newKey(3)
	tests := []struct {
		name string
		cfg  func(*Config)
		txs  func(f *fixture) []*consensus.Tx
	}{
		{"all valid, three senders", nil, func(f *fixture) []*consensus.Tx {
			return []*consensus.Tx{a.tx(t, f.params, 0, 1000), b.tx(t, f.params, 0, 1000), a.tx(t, f.params, 1, 1000), c.tx(t, f.params, 0, 1000)}
		}},
		{"bad signature first, middle and last", nil, func(f *fixture) []*consensus.Tx {
			return []*consensus.Tx{badSig(a.tx(t, f.params, 0, 1000)), b.tx(t, f.params, 0, 1000),
				badSig(b.tx(t, f.params, 1, 1000)), c.tx(t, f.params, 0, 1000), badSig(c.tx(t, f.params, 1, 1000))}
		}},
		{"every signature bad", nil, func(f *fixture) []*consensus.Tx {
			var out []*consensus.Tx
			for n := range uint64(6) {
				out = append(out, badSig(a.tx(t, f.params, n, 1000)))
			}
			return out
		}},
		{"duplicates within the batch", nil, func(f *fixture) []*consensus.Tx {
			x := a.tx(t, f.params, 0, 1000)
			cp := *x
			return []*consensus.Tx{x, b.tx(t, f.params, 0, 1000), x, &cp}
		}},
		{"a bad duplicate is answered from the rejected filter", nil, func(f *fixture) []*consensus.Tx {
			x := badSig(a.tx(t, f.params, 0, 1000))
			return []*consensus.Tx{x, b.tx(t, f.params, 0, 1000), x}
		}},
		{"state failures: nonce too low, unaffordable, gap", func(c *Config) { c.MaxNonceGap = 2 }, func(f *fixture) []*consensus.Tx {
			return []*consensus.Tx{c.tx(t, f.params, 0, 1000), a.tx(t, f.params, 5, 1000), b.tx(t, f.params, 3, 1000, withAmount(fund*2)),
				b.tx(t, f.params, 7, 1000), a.tx(t, f.params, 6, 1000)}
		}},
		{"replacement within the batch", nil, func(f *fixture) []*consensus.Tx {
			return []*consensus.Tx{a.tx(t, f.params, 0, 1000), a.tx(t, f.params, 0, 1050), a.tx(t, f.params, 0, 1100), a.tx(t, f.params, 0, 2000)}
		}},
		{"nonce chain out of order", nil, func(f *fixture) []*consensus.Tx {
			return []*consensus.Tx{a.tx(t, f.params, 2, 1000), a.tx(t, f.params, 1, 1000), a.tx(t, f.params, 0, 1000), badSig(a.tx(t, f.params, 3, 1000))}
		}},
		{"stateless failures and nil", nil, func(f *fixture) []*consensus.Tx {
			return []*consensus.Tx{nil, a.tx(t, f.params, 0, 999), a.tx(t, f.params, 0, 1000, func(tx *consensus.Tx) { tx.ChainID++ }),
				{Kind: consensus.TxCoinbase, ChainID: f.params.ChainID, To: sink, Amount: 1}, b.tx(t, f.params, 0, 1000)}
		}},
		{"one tx", nil, func(f *fixture) []*consensus.Tx { return []*consensus.Tx{a.tx(t, f.params, 0, 1000)} }},
		{"empty", nil, func(*fixture) []*consensus.Tx { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, tc.cfg)
			p.set(a.addr, fund, 5)
			p.set(b.addr, fund, 3)
			p.set(c.addr, fund, 0)
			p.check(t, tc.txs(p.one))
		})
	}
}

// TestAddBatchVerifiesAsOneBatch: the batch pool verifies the signatures
// of a clean batch once, fills the shared cache with them, and Add's path
// then verifies none of them again.
func TestAddBatchVerifiesAsOneBatch(t *testing.T) {
	p := newPair(t, nil)
	var txs []*consensus.Tx
	for i := range 20 {
		k := newKey(100 + i)
		p.set(k.addr, 1_000_000, 0)
		txs = append(txs, k.fastTx(t, p.one.params, 0, 1000))
	}
	p.check(t, txs)
	if st := p.batch.pool.Stats(); st.SigVerifications != 20 || st.Accepted != 20 || st.SigBatched != 20 || st.SigBatches != 1 {
		t.Fatalf("batch pool: %d signatures verified for 20 txs, %d accepted", st.SigVerifications, st.Accepted)
	}
	if st := p.batch.pool.cfg.Verifier.Stats(); st.Batches != 1 || st.Signatures != 20 {
		t.Fatalf("verifier: %+v, want 20 signatures in one batch", st)
	}
	if n := p.cache.Stats().Entries; n != 20 {
		t.Fatalf("cache holds %d ids, want 20", n)
	}
}

// TestAddBatchRandom compares AddBatch with Add over random batches: valid
// txs, bad signatures at random positions, duplicates, stale and future
// nonces, replacements, unaffordable amounts, across successive batches.
func TestAddBatchRandom(t *testing.T) {
	rounds := 30
	if testing.Short() {
		rounds = 8
	}
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := mrand.New(mrand.NewPCG(seed, 9))
			p := newPair(t, func(c *Config) { c.MaxPerSender = 12; c.MaxQueuedPerSender = 4; c.MaxNonceGap = 6 })
			keys := make([]*key, 8)
			for i := range keys {
				keys[i] = newKey(200 + i)
				p.set(keys[i].addr, uint64(20_000+rng.IntN(40_000)), uint64(rng.IntN(3)))
			}
			var history []*consensus.Tx
			for range rounds {
				n := 1 + rng.IntN(40)
				batch := make([]*consensus.Tx, 0, n)
				for range n {
					k := keys[rng.IntN(len(keys))]
					var tx *consensus.Tx
					switch r := rng.IntN(20); {
					case r < 2 && len(history) > 0:
						tx = history[rng.IntN(len(history))] // seen before
					case r < 3 && len(batch) > 0:
						tx = batch[rng.IntN(len(batch))] // duplicate in this batch
					case r < 6:
						tx = badSig(k.fastTx(t, p.one.params, uint64(rng.IntN(8)), 1000+uint64(rng.IntN(300))))
					case r < 7:
						tx = k.tx(t, p.one.params, uint64(rng.IntN(8)), 1000, withAmount(uint64(rng.IntN(60_000))))
					default:
						tx = k.fastTx(t, p.one.params, uint64(rng.IntN(8)), 1000+uint64(rng.IntN(300)))
					}
					batch = append(batch, tx)
				}
				p.check(t, batch)
				history = append(history, batch...)
			}
			if st := p.batch.pool.Stats(); st.Accepted == 0 || len(st.Rejected) < 3 {
				t.Fatalf("random batches exercised too little: %+v", st)
			}
		})
	}
}
