package testnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// propagation times blocks mined on node origin until every running node
// has connected them, from the nodes' own newtips notifications.
type propagation struct {
	mu   sync.Mutex
	seen map[string]map[int]time.Time // hash -> node -> receipt
}

func watchAll(t testing.TB, n *Network) *propagation {
	t.Helper()
	p := &propagation{seen: map[string]map[int]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg, ready sync.WaitGroup
	for i := range n.State.Nodes {
		wg.Add(1)
		ready.Add(1)
		var once sync.Once
		go func() {
			defer wg.Done()
			n.WatchTips(ctx, i, 200*time.Millisecond, func() { once.Do(ready.Done) }, func(ev TipEvent) {
				if ev.Event != "connected" {
					return
				}
				p.mu.Lock()
				defer p.mu.Unlock()
				if p.seen[ev.Hash] == nil {
					p.seen[ev.Hash] = map[int]time.Time{}
				}
				if _, ok := p.seen[ev.Hash][ev.Node]; !ok {
					p.seen[ev.Hash][ev.Node] = ev.At
				}
			})
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	done := make(chan struct{})
	go func() { ready.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("websocket subscriptions did not come up in 60s")
	}
	return p
}

// blockFrom mines one block on origin and returns how long it took to
// reach node target (by the receipt stamps of both nodes' notifications),
// and to reach every node.
func (p *propagation) blockFrom(t testing.TB, n *Network, origin, target int) (toTarget, toAll time.Duration) {
	t.Helper()
	var hashes []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n.Call(ctx, origin, "generatetoaddress", []any{1, n.State.Nodes[origin].MinerAddr}, &hashes); err != nil || len(hashes) != 1 {
		t.Fatalf("mine on %s: %v %v", n.State.Nodes[origin].Name, hashes, err)
	}
	h := hashes[0]
	deadline := time.Now().Add(90 * time.Second)
	for {
		p.mu.Lock()
		got := p.seen[h]
		if len(got) == len(n.State.Nodes) {
			start := got[origin]
			for _, at := range got {
				toAll = max(toAll, at.Sub(start))
			}
			toTarget = got[target].Sub(start)
			p.mu.Unlock()
			return toTarget, toAll
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("block %s reached only %d of %d nodes in 90s", h, len(got), len(n.State.Nodes))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// newCondNet is newNet with every node behind a proxy with conditions c.
func newCondNet(t *testing.T, nodes int, topology string, c Conditions) *Network {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process testnet test")
	}
	n, err := Create(Options{Dir: t.TempDir(), Nodes: nodes, Miners: -1, Topology: topology,
		BlockTime: time.Second, LoadAccounts: 16, HashRate: 1, Binary: cairnBin, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.EnableConditions(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(n.Dir, "proxy.log"))
			t.Logf("--- proxy log:\n%s", b)
		}
		_ = n.Destroy()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

// A 5-node line with 100 ms per hop: a block takes at least 4 x 100 ms
// from node1's connect to node5's, and the delay is the proxies' doing:
// set to 0 at runtime (same network, same connections), it is shorter.
// Nodes talk only through their proxies: every dialled connection goes to
// a proxy port, never to a node's own P2P port.
func TestLatencyPropagation(t *testing.T) {
	n := newCondNet(t, 5, "line", Conditions{Latency: 100 * time.Millisecond})
	if !n.ProxyRunning() {
		t.Fatal("proxy process not running after up")
	}
	proxyPorts, realPorts := map[string]bool{}, map[string]bool{}
	for _, ns := range n.State.Nodes {
		proxyPorts[fmt.Sprint(ns.ProxyPort)] = true
		realPorts[fmt.Sprint(ns.P2PPort)] = true
	}
	for i := range n.State.Nodes {
		var peers []struct {
			Addrs     []string `json:"addrs"`
			Direction string   `json:"direction"`
		}
		if err := n.Call(ctxT(t, 10*time.Second), i, "getpeerinfo", []any{}, &peers); err != nil {
			t.Fatal(err)
		}
		for _, p := range peers {
			for _, a := range p.Addrs {
				port := a[strings.LastIndex(a, "/")+1:]
				if p.Direction == "outbound" && !proxyPorts[port] || realPorts[port] {
					t.Fatalf("%s has a %s connection to %s: not through a proxy", n.State.Nodes[i].Name, p.Direction, a)
				}
			}
		}
	}
	p := watchAll(t, n)
	const blocks = 3
	var slow, fast []time.Duration
	for k := 0; k < blocks; k++ {
		d, _ := p.blockFrom(t, n, 0, 4)
		slow = append(slow, d)
	}
	if err := n.SetConditions(ctxT(t, 30*time.Second), nil, func(c *Conditions) { *c = Conditions{} }); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < blocks; k++ {
		d, _ := p.blockFrom(t, n, 0, 4)
		fast = append(fast, d)
	}
	t.Logf("node1 -> node5 over 4 hops: at 100ms/hop %v (median %v); at 0 %v (median %v)", slow, median(slow), fast, median(fast))
	// The median: one notification stamped late on node1 (a loaded
	// machine) must not make a single block look faster than physics.
	if m := median(slow); m < 400*time.Millisecond {
		t.Errorf("propagation at 100ms/hop took %v (median) over 4 hops, want >= 400ms", m)
	}
	if median(fast) >= median(slow) {
		t.Errorf("without latency propagation median %v, not below %v with it", median(fast), median(slow))
	}
}

// TestPropagationFigures measures docs/PERFORMANCE.md's block propagation
// on 10 nodes at 0, 50 and 200 ms per hop. Opt-in: CAIRN_FIGURES=1.
func TestPropagationFigures(t *testing.T) {
	if os.Getenv("CAIRN_FIGURES") == "" {
		t.Skip("figures: set CAIRN_FIGURES=1")
	}
	n := newCondNet(t, 10, "ring", Conditions{})
	p := watchAll(t, n)
	for _, lat := range []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond} {
		if err := n.SetConditions(ctxT(t, 30*time.Second), nil, func(c *Conditions) { *c = Conditions{Latency: lat} }); err != nil {
			t.Fatal(err)
		}
		var all []time.Duration
		for k := 0; k < 30; k++ {
			_, d := p.blockFrom(t, n, k%10, 0)
			all = append(all, d)
		}
		slices.Sort(all)
		t.Logf("latency %v: block to all 10 nodes (ring, 5 hops max): p50 %v p99 %v (n=%d)", lat, all[len(all)/2].Round(time.Millisecond), all[len(all)*99/100].Round(time.Millisecond), len(all))
	}
}
