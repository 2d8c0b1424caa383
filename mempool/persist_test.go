package mempool

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

func sortedIDs(p *Pool) []consensus.Hash {
	ids := p.TxIDs()
	slices.SortFunc(ids, func(a, b consensus.Hash) int { return strings.Compare(a.String(), b.String()) })
	return ids
}

func TestSaveLoadRoundTrip(t *testing.T) {
	f := newFixture(t, nil)
	a, b := newKey(1), newKey(2)
	f.state.set(a.addr, 1e12, 0)
	f.state.set(b.addr, 1e12, 5)
	var txs []*consensus.Tx
	for n := uint64(0); n < 4; n++ {
		txs = append(txs, a.fastTx(t, f.params, n, 2000+n))
	}
	txs = append(txs, b.fastTx(t, f.params, 5, 3000), b.fastTx(t, f.params, 7, 3000)) // 7 is gapped (queued)
	f.mustAdd(t, txs...)
	path := filepath.Join(t.TempDir(), "mempool.dat")
	if err := f.pool.Save(path); err != nil {
		t.Fatal(err)
	}

	// A fresh pool over the same state gets exactly the same txs back,
	// whatever order the file lists them in.
	g := New(Config{Params: f.params, State: f.state, Now: f.clock.Now})
	res, err := g.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 6 || res.Accepted != 6 || res.Refused != 0 || res.Expired != 0 {
		t.Fatalf("load %+v", res)
	}
	if got, want := sortedIDs(g), sortedIDs(f.pool); !slices.Equal(got, want) {
		t.Fatalf("reloaded pool differs: %d vs %d txs", len(got), len(want))
	}

	// Mined meanwhile: refused on reload. Old: expired.
	h := New(Config{Params: f.params, State: f.state, Now: f.clock.Now})
	f.state.set(a.addr, 1e12, 2) // a's nonces 0 and 1 were mined
	f.clock.advance(DefaultExpiry - time.Minute)
	res, err = h.Load(path)
	if err != nil || res.Accepted != 4 || res.Refused != 2 {
		t.Fatalf("after a block: %+v %v", res, err)
	}
	f.clock.advance(2 * time.Minute)
	h2 := New(Config{Params: f.params, State: f.state, Now: f.clock.Now})
	if res, err = h2.Load(path); err != nil || res.Expired != 6 || h2.Count() != 0 {
		t.Fatalf("after expiry: %+v %v", res, err)
	}

	// A missing file is no error.
	if res, err := h2.Load(filepath.Join(t.TempDir(), "none.dat")); err != nil || res.Read != 0 {
		t.Fatalf("missing file: %+v %v", res, err)
	}
}

// A damaged file is refused whole: nothing is added from it.
func TestLoadDamagedFile(t *testing.T) {
	f := newFixture(t, nil)
	a := newKey(1)
	f.state.set(a.addr, 1e12, 0)
	f.mustAdd(t, a.fastTx(t, f.params, 0, 2000), a.fastTx(t, f.params, 1, 2000))
	dir := t.TempDir()
	good := filepath.Join(dir, "good.dat")
	if err := f.pool.Save(good); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	huge := slices.Clone(raw)
	huge[8], huge[9], huge[10], huge[11] = 0xff, 0xff, 0xff, 0xff
	cases := map[string][]byte{
		"empty":      {},
		"bad magic":  append([]byte("NOTAPOOL"), raw[8:]...),
		"huge count": huge,
		"truncated":  raw[:len(raw)-5],
		"trailing":   append(slices.Clone(raw), 0),
	}
	for name, b := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		g := New(Config{Params: f.params, State: f.state, Now: f.clock.Now})
		if _, err := g.Load(p); err == nil {
			t.Errorf("%s: loaded", name)
		}
		if g.Count() != 0 {
			t.Errorf("%s: %d txs added from a damaged file", name, g.Count())
		}
	}
}
