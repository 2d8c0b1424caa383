package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
)

// Every test node listens on loopback with an OS-chosen port, mDNS off and
// no bootstrap peers, so nothing leaves the machine.
const loopbackTCP = "/ip4/127.0.0.1/tcp/0"

// testLogger logs to stderr at CAIRN_TEST_LOG (default: errors only).
func testLogger(name string) *slog.Logger {
	lv := slog.LevelError
	if s := os.Getenv("CAIRN_TEST_LOG"); s != "" {
		_ = lv.UnmarshalText([]byte(s))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv})).With("node", name)
}

// tnode is a full in-process node: LevelDB chain, mempool and p2p.
type tnode struct {
	name  string
	dir   string
	chain *chain.Chain
	pool  *mempool.Pool
	sigs  *sigcache.Cache
	node  *Node
	p2p   atomic.Pointer[Node] // for the OnAccept hook, set once started
	// onAccept, onConnect observe the node for latency measurements.
	onAccept  atomic.Pointer[func(consensus.Hash)]
	onConnect atomic.Pointer[func(consensus.Hash)]
}

type nodeOpt func(*Config)

// newNode builds and starts a node; dir may be "" for a fresh temp dir.
func newNode(tb testing.TB, p *consensus.Params, name, dir string, opts ...nodeOpt) *tnode {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	log := testLogger(name)
	// Wired as the node wires them: one signature cache shared by the
	// chain, the mempool and the sync verifier stage.
	sigs, err := sigcache.New(sigcache.DefaultMaxBytes, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ch, err := chain.Open(chain.Config{Dir: filepath.Join(dir, "chain"), Params: p, NoSync: true, Logger: log, SigCache: sigs})
	if err != nil {
		tb.Fatal(err)
	}
	tn := &tnode{name: name, dir: dir, chain: ch, sigs: sigs}
	tn.pool = mempool.New(mempool.Config{Params: p, State: ch, Logger: log, SigCache: sigs, OnAccept: func(tx *consensus.Tx) {
		if f := tn.onAccept.Load(); f != nil {
			(*f)(tx.ID())
		}
		if n := tn.p2p.Load(); n != nil {
			_ = n.BroadcastTx(tx)
		}
	}})
	ch.Subscribe(func(ev chain.Event) {
		switch ev.Kind {
		case chain.BlockConnected:
			tn.pool.BlockConnected(ev.Block)
			if f := tn.onConnect.Load(); f != nil {
				(*f)(ev.Hash)
			}
		case chain.BlockDisconnected:
			tn.pool.BlockDisconnected(ev.Block)
		}
	})
	cfg := Config{
		Params: p, DataDir: dir, Listen: []string{loopbackTCP}, Logger: log,
		Chain: ch, Mempool: tn.pool, PeerTimeout: 5 * time.Second, StatusInterval: 5 * time.Second,
		Preverify: func(bs []*consensus.Block) { ch.Preverify(bs) },
	}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := New(context.Background(), cfg)
	if err != nil {
		ch.Close()
		tb.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		ch.Close()
		tb.Fatal(err)
	}
	tn.node = n
	tn.p2p.Store(n)
	tb.Cleanup(func() { tn.stop(tb) })
	return tn
}

// stop closes p2p then the chain; safe to call twice.
func (tn *tnode) stop(tb testing.TB) {
	if tn.node == nil {
		return
	}
	if err := tn.node.Close(); err != nil {
		tb.Errorf("%s: close p2p: %v", tn.name, err)
	}
	if err := tn.chain.Close(); err != nil {
		tb.Errorf("%s: close chain: %v", tn.name, err)
	}
	tn.node = nil
}

// connect dials b from a and waits until both completed the handshake.
func connect(tb testing.TB, a, b *tnode) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.node.AddNode(ctx, b.node.Addrs()[0]); err != nil {
		tb.Fatalf("%s -> %s: %v", a.name, b.name, err)
	}
	waitFor(tb, 10*time.Second, fmt.Sprintf("handshake %s <-> %s", a.name, b.name), func() bool {
		return a.ready(b) && b.ready(a)
	})
}

// ready reports whether a completed the handshake with b.
func (a *tnode) ready(b *tnode) bool {
	e, ok := a.node.table.Get(b.node.host.ID())
	return ok && e.Ready
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// feed processes generated blocks on a node's chain.
func (tn *tnode) feed(tb testing.TB, blocks []*chaintest.Block) {
	tb.Helper()
	for _, b := range blocks {
		if _, _, err := tn.chain.ProcessBlock(b.Block); err != nil {
			tb.Fatalf("%s: block %s: %v", tn.name, b.Name, err)
		}
	}
}

// mine mines n blocks on tn's tip (with its mempool's txs) paying to.
func (tn *tnode) mine(tb testing.TB, n int, to consensus.Address) []consensus.Hash {
	tb.Helper()
	m := miner.New(miner.Config{Chain: tn.chain, Source: tn.pool, Threads: 1})
	hs, err := m.Generate(context.Background(), n, to)
	if err != nil {
		tb.Fatalf("%s: mine: %v", tn.name, err)
	}
	return hs
}

// sameTip reports whether every node has the tip of the first.
func sameTip(nodes ...*tnode) bool {
	want := nodes[0].chain.Tip().Hash
	for _, n := range nodes[1:] {
		if n.chain.Tip().Hash != want {
			return false
		}
	}
	return true
}

// chainOf generates a chain of n blocks on gen's network, each with
// txsPerBlock transfers from the funded keys (round robin).
func chainOf(gen *chaintest.Gen, prefix string, n, txsPerBlock int) []*chaintest.Block {
	parent := "genesis"
	out := make([]*chaintest.Block, 0, n)
	k := 0
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%d", prefix, i+1)
		b := gen.NextBlock(name, parent, func(d *chaintest.Draft) {
			for j := 0; j < txsPerBlock; j++ {
				from := gen.Keys[k%len(gen.Keys)]
				to := gen.Keys[(k+1)%len(gen.Keys)]
				d.Transfer(from, to.Addr, 1000, gen.Params.MinTxFee)
				k++
			}
		})
		out = append(out, b)
		parent = name
	}
	return out
}

func digest(tb testing.TB, tn *tnode) consensus.Hash {
	tb.Helper()
	si, err := tn.chain.StateInfo()
	if err != nil {
		tb.Fatal(err)
	}
	return si.Digest
}
