package node

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
)

// scrape GETs url and returns the unlabelled samples by name (a metric that
// appears twice, or a sample that does not parse, fails the test).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	got := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad sample line %q", line)
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("bad sample line %q: %v", line, err)
		}
		if _, dup := got[name]; dup {
			t.Fatalf("%s exported twice", name)
		}
		got[name] = f
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// want checks that every named series is present with the given value.
func want(t *testing.T, step string, got map[string]float64, vals map[string]float64) {
	t.Helper()
	for name, v := range vals {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s not exported", step, name)
		} else if g != v {
			t.Errorf("%s: %s = %v, want %v", step, name, g, v)
		}
	}
}

// The verifier, signature cache and account cache series follow real work:
// a mempool batch and blocks on a real chain sharing one verifier and one
// signature cache, scraped through the node's /metrics handler.
func TestCacheMetricsFollowWork(t *testing.T) {
	g, err := chaintest.New(chaintest.Options{Name: "metrics", Keys: 6})
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := sigcache.New(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, Verifier: v, SigCache: sigs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pool := mempool.New(mempool.Config{Params: g.Params, State: c, SigCache: sigs, Verifier: v})
	m := newMetrics()
	m.watchCaches(v, sigs, c)
	srv := httptest.NewServer(m.handler())
	defer srv.Close()
	url := srv.URL + "/metrics"

	// Nothing done yet: every counter is zero, the sizes are the caches'.
	s := scrape(t, url)
	want(t, "start", s, map[string]float64{
		"cairn_sig_verifier_signatures_total": 0, "cairn_sig_verifier_batches_total": 0, "cairn_sig_verifier_bisections_total": 0,
		"cairn_sig_verifier_key_cache_hits_total": 0, "cairn_sig_verifier_key_cache_misses_total": 0,
		"cairn_sigcache_hits_total": 0, "cairn_sigcache_misses_total": 0, "cairn_sigcache_adds_total": 0,
		"cairn_sigcache_evictions_total": 0, "cairn_sigcache_entries": 0, "cairn_sigcache_capacity": (1 << 20) / sigcache.EntrySize,
		"cairn_account_cache_hits_total": 0, "cairn_account_cache_misses_total": 0,
		"cairn_account_cache_entries": 0, "cairn_account_cache_capacity": chain.DefaultAccountCache,
	})

	// b1: 8 transfers, key i%6 paying key (i+1)%6; the pool batch-verifies
	// the first 5 (keys 0-4) and caches their ids.
	transfers := func(name, parent string, n int, muts ...chaintest.Mutator) *chaintest.Block {
		fill := func(d *chaintest.Draft) {
			for i := range n {
				d.Transfer(g.Keys[i%len(g.Keys)], g.Keys[(i+1)%len(g.Keys)].Addr, 1000+uint64(i), g.Params.MinTxFee)
			}
		}
		return g.NextBlock(name, parent, append([]chaintest.Mutator{fill}, muts...)...)
	}
	b1 := transfers("b1", "genesis", 8)
	if _, errs := pool.AddBatch(b1.Block.Txs[1:6]); fmt.Sprint(errs) != "[<nil> <nil> <nil> <nil> <nil>]" {
		t.Fatalf("pool batch: %v", errs)
	}
	s = scrape(t, url)
	want(t, "pool batch", s, map[string]float64{
		"cairn_sig_verifier_signatures_total": 5, "cairn_sig_verifier_batches_total": 1,
		"cairn_sig_verifier_key_cache_misses_total": 5, "cairn_sig_verifier_key_cache_hits_total": 0,
		"cairn_sigcache_misses_total": 5, "cairn_sigcache_adds_total": 5, "cairn_sigcache_entries": 5,
		// The pool reads its senders' state, but only a block fills the cache.
		"cairn_account_cache_hits_total": 0, "cairn_account_cache_entries": 0,
	})
	poolReads := s["cairn_account_cache_misses_total"]
	if poolReads == 0 {
		t.Errorf("pool batch: the pool's state reads are not counted as account cache misses")
	}

	// Connecting b1 takes the 5 cached ids and verifies the other 3 (keys
	// 5, 0, 1: one new key), reading and caching the 6 keys and the miner.
	if main, _, err := c.ProcessBlock(b1.Block); err != nil || !main {
		t.Fatalf("b1: main=%v err=%v", main, err)
	}
	touched := float64(len(g.Keys) + 1)
	s = scrape(t, url)
	want(t, "b1", s, map[string]float64{
		"cairn_sig_verifier_signatures_total": 8, "cairn_sig_verifier_batches_total": 2, "cairn_sig_verifier_bisections_total": 0,
		"cairn_sig_verifier_key_cache_misses_total": 6, "cairn_sig_verifier_key_cache_hits_total": 2,
		"cairn_sigcache_hits_total": 5, "cairn_sigcache_misses_total": 8, "cairn_sigcache_adds_total": 5, "cairn_sigcache_entries": 0,
		"cairn_account_cache_hits_total": 0, "cairn_account_cache_misses_total": poolReads + touched,
		"cairn_account_cache_entries": touched,
	})

	// b2 touches the same accounts and keys: all from the caches.
	b2 := transfers("b2", "b1", 6)
	if main, _, err := c.ProcessBlock(b2.Block); err != nil || !main {
		t.Fatalf("b2: main=%v err=%v", main, err)
	}
	s = scrape(t, url)
	want(t, "b2", s, map[string]float64{
		"cairn_sig_verifier_signatures_total": 14, "cairn_sig_verifier_batches_total": 3,
		"cairn_sig_verifier_key_cache_misses_total": 6, "cairn_sig_verifier_key_cache_hits_total": 8,
		"cairn_sigcache_hits_total": 5, "cairn_sigcache_misses_total": 14,
		"cairn_account_cache_hits_total": touched, "cairn_account_cache_misses_total": poolReads + touched,
		"cairn_account_cache_entries": touched,
	})

	// b3 carries a bad signature: its batch fails and is bisected.
	b3 := transfers("b3", "b2", 6, chaintest.BadSignature(3))
	if _, _, err := c.ProcessBlock(b3.Block); err == nil {
		t.Fatal("b3 with a bad signature was accepted")
	}
	s = scrape(t, url)
	want(t, "b3", s, map[string]float64{"cairn_sig_verifier_signatures_total": 20, "cairn_sig_verifier_bisections_total": 1})
	if s["cairn_sig_verifier_batches_total"] <= 4 {
		t.Errorf("b3: %v batches after a bisection, want more than 4", s["cairn_sig_verifier_batches_total"])
	}
}

// A running node serves the cache series on --metrics-addr: the account
// cache fills with what mined blocks touched, the signature cache is sized
// by --sigcache-mb.
func TestNodeServesCacheMetrics(t *testing.T) {
	logs := &syncBuffer{}
	cfg := testConfig(t, logs)
	cfg.Mine = true
	cfg.MinerAddress = consensus.AddressFromPubKey([32]byte{7})
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.SigCacheMB = 1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	addrRE := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)
	waitFor(t, "the metrics listener and two mined blocks", func() bool {
		return addrRE.MatchString(logs.String()) && strings.Count(logs.String(), `msg="mined block"`) >= 2
	})
	url := "http://" + addrRE.FindStringSubmatch(logs.String())[1] + "/metrics"
	var s map[string]float64
	deadline := time.Now().Add(30 * time.Second)
	for {
		s = scrape(t, url)
		if s["cairn_chain_height"] >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	want(t, "node", s, map[string]float64{
		"cairn_sigcache_capacity": (1 << 20) / sigcache.EntrySize, "cairn_account_cache_capacity": chain.DefaultAccountCache,
		"cairn_sig_verifier_signatures_total": 0, "cairn_sig_verifier_bisections_total": 0, "cairn_sigcache_entries": 0,
		// Every block pays the one miner address, the only account there is.
		"cairn_account_cache_entries": 1,
	})
	// The first block read it from disk; later blocks (height >= 2) found
	// it cached. (Exact counts depend on how many templates the miner
	// built by now, each of which reads it too.)
	if s["cairn_account_cache_misses_total"] < 1 || s["cairn_account_cache_hits_total"] < 1 {
		t.Errorf("account cache hits %v, misses %v at height %v: want both at least 1",
			s["cairn_account_cache_hits_total"], s["cairn_account_cache_misses_total"], s["cairn_chain_height"])
	}
}
