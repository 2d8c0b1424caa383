package p2p

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// Benchmark scale. The target workload is 2,000 blocks x 500 transfers;
// signing and verifying a million Schnorr signatures takes minutes on two
// cores, so the default run uses 400 x 500 (200k transfers). Override with
// CAIRN_BENCH_BLOCKS and CAIRN_BENCH_TXS, e.g.
//
//	CAIRN_BENCH_BLOCKS=2000 go test -run '^$' -bench InitialSync -benchtime 1x ./p2p/
//
// CAIRN_BENCH_PROCESS=1 also syncs from one peer in a child process and
// reports that node's rate, peak RSS and CPU time (Linux).
func benchScale(tb testing.TB) (blocks, txs int) {
	get := func(name string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
			return v
		}
		return def
	}
	return get("CAIRN_BENCH_BLOCKS", 400), get("CAIRN_BENCH_TXS", 500)
}

// seedChain generates the benchmark chain once into a chain directory that
// serving nodes copy.
// CAIRN_BENCH_SEED names a directory to keep the generated chain in and
// reuse on the next run with the same scale (generation takes minutes).
func seedChain(b *testing.B, nBlocks, nTxs int) (*consensus.Params, string, consensus.Hash) {
	b.Helper()
	start := time.Now()
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pbench", Keys: nTxs})
	keep := os.Getenv("CAIRN_BENCH_SEED")
	if keep != "" {
		keep = filepath.Join(keep, fmt.Sprintf("%dx%d", nBlocks, nTxs))
		if raw, err := os.ReadFile(filepath.Join(keep, "tip")); err == nil {
			if tip, err := consensus.ParseHash(string(raw)); err == nil {
				b.Logf("reusing the chain in %s", keep)
				return gen.Params, keep, tip
			}
		}
	}
	blocks := make([]*chaintest.Block, 0, nBlocks)
	parent := "genesis"
	for i := 0; i < nBlocks; i++ {
		name := fmt.Sprintf("b%d", i+1)
		blocks = append(blocks, gen.NextBlock(name, parent, func(d *chaintest.Draft) {
			for k, from := range gen.Keys {
				d.Transfer(from, gen.Keys[(k+1)%len(gen.Keys)].Addr, 1000, gen.Params.MinTxFee)
			}
		}))
		parent = name
	}
	dir := filepath.Join(b.TempDir(), "seed")
	if keep != "" {
		dir = keep
	}
	ch, err := chain.Open(chain.Config{Dir: filepath.Join(dir, "chain"), Params: gen.Params, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	genTime := time.Since(start)
	procStart := time.Now()
	for _, blk := range blocks {
		if _, _, err := ch.ProcessBlock(blk.Block); err != nil {
			b.Fatal(err)
		}
	}
	proc := time.Since(procStart).Seconds()
	tip := ch.Tip().Hash
	if err := ch.Close(); err != nil {
		b.Fatal(err)
	}
	if keep != "" {
		if err := os.WriteFile(filepath.Join(keep, "tip"), []byte(tip.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	// The direct ProcessBlock rate is the ceiling for any sync: it is what
	// the chain can verify and apply with no network at all.
	b.Logf("generated %d blocks x %d txs in %v; direct ProcessBlock %.1f blocks/s, %.0f tx/s",
		nBlocks, nTxs, genTime.Round(time.Millisecond), float64(nBlocks)/proc, float64(nBlocks*nTxs)/proc)
	return gen.Params, dir, tip
}

func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if d.Name() == "LOCK" {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkInitialSync measures a fresh node's headers-first sync of the
// benchmark chain from one and from three serving peers.
func BenchmarkInitialSync(b *testing.B) {
	nBlocks, nTxs := benchScale(b)
	params, seed, tip := seedChain(b, nBlocks, nTxs)
	for _, peers := range []int{1, 3} {
		b.Run(fmt.Sprintf("peers=%d", peers), func(b *testing.B) {
			var servers []string
			for i := 0; i < peers; i++ {
				dir := filepath.Join(b.TempDir(), fmt.Sprintf("server%d", i))
				copyDir(b, seed, dir)
				s := newNode(b, params, fmt.Sprintf("server%d", i), dir)
				servers = append(servers, s.node.Addrs()[0])
			}
			b.ResetTimer()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fresh := newNode(b, params, "fresh", "", func(c *Config) {
					c.Peers = servers
					if os.Getenv("CAIRN_BENCH_NO_PREVERIFY") != "" {
						c.Preverify = nil // the sync pipeline's verifier stage off, for comparison
					}
				})
				start := time.Now()
				b.StartTimer()
				waitFor(b, 30*time.Minute, "fresh node synced", func() bool { return fresh.chain.Tip().Hash == tip })
				b.StopTimer()
				total += time.Since(start)
				fresh.stop(b)
			}
			secs := total.Seconds() / float64(b.N)
			b.ReportMetric(float64(nBlocks)/secs, "blocks/s")
			b.ReportMetric(float64(nBlocks*nTxs)/secs, "tx/s")
			if peers == 1 && os.Getenv("CAIRN_BENCH_PROCESS") != "" {
				// Again with the syncing node alone in a child process:
				// its peak RSS is then a node's, not the servers' too.
				benchSyncProcess(b, servers[0], tip, nBlocks, nTxs)
			}
		})
	}
}

// latencies records, per item, when each node saw it.
type latencies struct {
	mu    sync.Mutex
	nodes int
	start map[consensus.Hash]time.Time
	seen  map[consensus.Hash]int
	done  map[consensus.Hash]chan time.Time
}

func newLatencies(nodes int) *latencies {
	return &latencies{nodes: nodes, start: map[consensus.Hash]time.Time{}, seen: map[consensus.Hash]int{}, done: map[consensus.Hash]chan time.Time{}}
}

func (l *latencies) expect(h consensus.Hash) chan time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan time.Time, 1)
	l.done[h] = ch
	return ch
}

func (l *latencies) saw(h consensus.Hash) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[h]++
	if l.seen[h] == l.nodes {
		if ch := l.done[h]; ch != nil {
			ch <- now
		}
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// BenchmarkGossipLatency measures, in a 10-node network (ring plus chords,
// degree 4), the time from submitting a tx on one node until it is in every
// mempool, and from a mined block's broadcast until it is every node's tip.
func BenchmarkGossipLatency(b *testing.B) {
	const nodesN, txRounds, blockRounds = 10, 100, 30
	gen := chaintest.MustNew(chaintest.Options{Name: "p2plat", Keys: txRounds})
	nodes := make([]*tnode, nodesN)
	txs, blocks := newLatencies(nodesN), newLatencies(nodesN)
	for i := range nodes {
		nodes[i] = newNode(b, gen.Params, fmt.Sprintf("n%d", i), "")
		onTx, onBlock := txs.saw, blocks.saw
		nodes[i].onAccept.Store(&onTx)
		nodes[i].onConnect.Store(&onBlock)
	}
	for i := range nodes {
		connect(b, nodes[i], nodes[(i+1)%nodesN])
		connect(b, nodes[i], nodes[(i+3)%nodesN])
	}
	waitFor(b, 30*time.Second, "gossip mesh", func() bool {
		for _, n := range nodes {
			for _, p := range n.node.host.Network().Peers() {
				if !n.node.tracer.inMesh(p, n.node.txTopicName) || !n.node.tracer.inMesh(p, n.node.blockTopicName) {
					return false
				}
			}
		}
		return true
	})
	b.ResetTimer()
	for iter := 0; iter < b.N; iter++ {
		var txLat, blockLat []time.Duration
		for i := 0; i < txRounds; i++ {
			origin := nodes[i%nodesN]
			from := gen.Keys[i]
			acct, _ := origin.chain.Account(from.Addr)
			tx := gen.Tx(from, acct.Nonce, gen.Keys[(i+1)%txRounds].Addr, 1000, gen.Params.MinTxFee, nil)
			done := txs.expect(tx.ID())
			start := time.Now()
			if _, err := origin.pool.Add(tx); err != nil {
				b.Fatal(err)
			}
			select {
			case at := <-done:
				txLat = append(txLat, at.Sub(start))
			case <-time.After(30 * time.Second):
				b.Fatalf("tx %d did not reach every mempool", i)
			}
		}
		for i := 0; i < blockRounds; i++ {
			origin := nodes[(i*7)%nodesN]
			hs := origin.mine(b, 1, gen.Keys[0].Addr)
			blk, err := origin.chain.Block(hs[0])
			if err != nil {
				b.Fatal(err)
			}
			done := blocks.expect(hs[0]) // the origin already counted itself while mining
			start := time.Now()
			if err := origin.node.BroadcastBlock(blk); err != nil {
				b.Fatal(err)
			}
			select {
			case at := <-done:
				blockLat = append(blockLat, at.Sub(start))
			case <-time.After(30 * time.Second):
				b.Fatalf("block %d did not reach every node", i)
			}
		}
		b.ReportMetric(float64(percentile(txLat, 0.50).Microseconds())/1000, "tx-p50-ms")
		b.ReportMetric(float64(percentile(txLat, 0.99).Microseconds())/1000, "tx-p99-ms")
		b.ReportMetric(float64(percentile(blockLat, 0.50).Microseconds())/1000, "block-p50-ms")
		b.ReportMetric(float64(percentile(blockLat, 0.99).Microseconds())/1000, "block-p99-ms")
	}
}
