package testnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// cairnBin is a cairn binary built once for these tests; every node is a
// real process of it on 127.0.0.1.
var cairnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cairn-testnet-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cairnBin = filepath.Join(dir, "cairn")
	if out, err := exec.Command("go", "build", "-o", cairnBin, "../cmd/cairn").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build cairn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newNet creates and starts a network with no background miners, so each
// test decides exactly which node mines what (mine helper).
func newNet(t *testing.T, nodes int, topology string) *Network {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process testnet test")
	}
	n, err := Create(Options{Dir: t.TempDir(), Nodes: nodes, Miners: -1, Topology: topology,
		BlockTime: time.Second, LoadAccounts: 16, HashRate: 1, Binary: cairnBin, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, ns := range n.State.Nodes {
				b, _ := os.ReadFile(filepath.Join(ns.Dir, "node.log"))
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("--- %s log tail:\n%s", ns.Name, b)
			}
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

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// mine makes node i mine k blocks to its own wallet key.
func mine(t *testing.T, n *Network, i, k int) {
	t.Helper()
	var hashes []string
	if err := n.Call(ctxT(t, time.Minute), i, "generatetoaddress", []any{k, n.State.Nodes[i].MinerAddr}, &hashes); err != nil {
		t.Fatal(err)
	}
	if len(hashes) != k {
		t.Fatalf("mined %d blocks, want %d", len(hashes), k)
	}
}

type stateInfo struct {
	Height       uint64 `json:"height"`
	BestHash     string `json:"bestblockhash"`
	Accounts     uint64 `json:"accounts"`
	TotalBalance uint64 `json:"total_balance"`
	Digest       string `json:"digest"`
}

// checkLedger asserts every running node has the same state and that no coin
// was created or lost: total = genesis allocations + subsidies of the chain.
func checkLedger(t *testing.T, n *Network) stateInfo {
	t.Helper()
	var first stateInfo
	var alloc uint64
	for _, a := range n.Params.GenesisAllocs {
		alloc += a.Amount
	}
	for k, i := range n.running(nil) {
		var si stateInfo
		if err := n.Call(ctxT(t, 10*time.Second), i, "getstateinfo", []any{}, &si); err != nil {
			t.Fatal(err)
		}
		var subsidies uint64
		for h := uint64(1); h <= si.Height; h++ {
			subsidies += n.Params.Subsidy(h)
		}
		if si.TotalBalance != alloc+subsidies {
			t.Fatalf("%s: total balance %d, want allocations %d + subsidies %d", n.State.Nodes[i].Name, si.TotalBalance, alloc, subsidies)
		}
		if k == 0 {
			first = si
		} else if si != first {
			t.Fatalf("%s state %+v differs from %+v", n.State.Nodes[i].Name, si, first)
		}
	}
	return first
}

func balance(t *testing.T, n *Network, i int, addr string) uint64 {
	t.Helper()
	var a struct {
		Balance uint64 `json:"balance"`
	}
	if err := n.Call(ctxT(t, 10*time.Second), i, "getaccount", []any{addr}, &a); err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func send(t *testing.T, n *Network, i int, to string, amount uint64) string {
	t.Helper()
	pass, err := n.Passphrase()
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 20*time.Second)
	if err := n.Call(ctx, i, "walletpassphrase", []any{pass, 60}, nil); err != nil {
		t.Fatal(err)
	}
	var txid string
	if err := n.Call(ctx, i, "sendtoaddress", []any{to, amount, n.Params.MinTxFee}, &txid); err != nil {
		t.Fatal(err)
	}
	return txid
}

func TestPaymentVisibleOnAllNodes(t *testing.T) {
	n := newNet(t, 4, "mesh")
	to := n.Keys[len(n.Keys)-1].Address
	before := balance(t, n, 0, to)
	txid := send(t, n, 0, to, 3*consensus.Coin)
	if err := n.WaitForMempools(ctxT(t, time.Minute), nil, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	mine(t, n, 2, 1) // a different node mines it: the tx travelled by gossip
	if _, err := n.WaitForTips(context.Background(), nil, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := range n.State.Nodes {
		if got := balance(t, n, i, to); got != before+3*consensus.Coin {
			t.Fatalf("%s sees balance %d, want %d", n.State.Nodes[i].Name, got, before+3*consensus.Coin)
		}
		var tx struct {
			Confirmations uint64 `json:"confirmations"`
		}
		if err := n.Call(ctxT(t, 5*time.Second), i, "gettransaction", []any{txid}, &tx); err != nil || tx.Confirmations != 1 {
			t.Fatalf("%s: tx %s confirmations %d, err %v", n.State.Nodes[i].Name, txid, tx.Confirmations, err)
		}
	}
	checkLedger(t, n)
	// status reads every node's metrics endpoint: all agree on tip and peers.
	for _, st := range n.Status(ctxT(t, 20*time.Second)) {
		if !st.Running || st.Height != 1 || st.Peers != 3 || st.Error != "" {
			t.Fatalf("status row %+v: want running, height 1, 3 peers", st)
		}
	}
	m, err := n.Metrics(ctxT(t, 5*time.Second), 2)
	if err != nil || m[`cairn_blocks_processed_total{result="main"}`] != 1 || m["cairn_chain_height"] != 1 {
		t.Fatalf("node3 metrics: err %v, blocks %v height %v", err, m[`cairn_blocks_processed_total{result="main"}`], m["cairn_chain_height"])
	}
}

func TestPartitionHealConverges(t *testing.T) {
	n := newNet(t, 4, "mesh")
	mine(t, n, 0, 2)
	if _, err := n.WaitForTips(context.Background(), nil, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := n.Partition(ctxT(t, time.Minute), [][]int{{0, 1}, {2, 3}}); err != nil {
		t.Fatal(err)
	}
	// Side A confirms a payment in a short branch; side B mines a longer one.
	to := n.Keys[len(n.Keys)-1].Address
	txid := send(t, n, 0, to, 2*consensus.Coin)
	mine(t, n, 0, 2)
	mine(t, n, 2, 5)
	if _, err := n.WaitForTips(context.Background(), []int{0, 1}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := n.WaitForTips(context.Background(), []int{2, 3}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var tipB string
	_ = n.Call(ctxT(t, 5*time.Second), 2, "getbestblockhash", []any{}, &tipB)

	if err := n.Heal(ctxT(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	tip, err := n.WaitForTips(context.Background(), nil, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if tip != tipB {
		t.Fatalf("converged on %s, want side B's heavier tip %s", tip, tipB)
	}
	checkLedger(t, n)
	// The losing branch's payment is back in every mempool, and confirms again.
	if err := n.waitFor(ctxT(t, time.Minute), 45*time.Second, func() (bool, error) {
		for i := range n.State.Nodes {
			var ids []string
			if err := n.Call(context.Background(), i, "getrawmempool", []any{}, &ids); err != nil {
				return false, err
			}
			found := false
			for _, id := range ids {
				found = found || id == txid
			}
			if !found {
				return false, nil
			}
		}
		return true, nil
	}, "the orphaned payment to return to every mempool"); err != nil {
		for i := range n.State.Nodes {
			var ids []string
			_ = n.Call(context.Background(), i, "getrawmempool", []any{}, &ids)
			var tx map[string]any
			_ = n.Call(context.Background(), i, "gettransaction", []any{txid}, &tx)
			t.Logf("%s mempool %v; tx %v", n.State.Nodes[i].Name, ids, tx)
		}
		t.Fatal(err)
	}
	mine(t, n, 3, 1)
	if _, err := n.WaitForTips(context.Background(), nil, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := range n.State.Nodes {
		var tx struct {
			Confirmations uint64 `json:"confirmations"`
		}
		if err := n.Call(ctxT(t, 5*time.Second), i, "gettransaction", []any{txid}, &tx); err != nil || tx.Confirmations != 1 {
			t.Fatalf("%s: payment confirmations %d err %v", n.State.Nodes[i].Name, tx.Confirmations, err)
		}
	}
	checkLedger(t, n)
}

func TestKillDuringLoadAndLateJoin(t *testing.T) {
	n := newNet(t, 4, "ring")
	mine(t, n, 0, 3)
	// Node 4 stops now and joins late; node 2 is killed mid-load.
	if err := n.Stop(3); err != nil {
		t.Fatal(err)
	}
	loadDone := make(chan *LoadReport, 1)
	go func() {
		rep, err := n.Load(context.Background(), LoadOptions{TPS: 20, Duration: 4 * time.Second, ConfirmTimeout: time.Second})
		if err != nil {
			t.Error(err)
		}
		loadDone <- rep
	}()
	time.Sleep(1500 * time.Millisecond)
	if err := n.Kill(1); err != nil {
		t.Fatal(err)
	}
	mine(t, n, 0, 2)
	rep := <-loadDone
	if rep == nil || rep.Submitted == 0 {
		t.Fatalf("load submitted nothing: %+v", rep)
	}
	// Every signed payment is accounted for: sent, refused or held back.
	if got := rep.Submitted + rep.Rejected + rep.NotSent; got != 80 {
		t.Fatalf("submitted %d + rejected %d + not sent %d = %d, want the 80 signed", rep.Submitted, rep.Rejected, rep.NotSent, got)
	}
	ctx := ctxT(t, 2*time.Minute)
	if err := n.Start(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := n.ConnectTopology(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.WaitForTips(ctx, nil, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	mine(t, n, 2, 2) // confirms what is still pending
	if _, err := n.WaitForTips(ctx, nil, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	si := checkLedger(t, n)
	if si.Height != 7 {
		t.Fatalf("height %d, want 7", si.Height)
	}
}

func TestLockRefusesSecondHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "another cairn testnet command") {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	unlock2, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}

func TestFreePortBelowEphemeralRange(t *testing.T) {
	lo := ephemeralLow()
	seen := map[int]bool{}
	for i := 0; i < 50; i++ {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if p >= lo || p < 1024 {
			t.Fatalf("port %d not below the ephemeral range starting at %d", p, lo)
		}
		seen[p] = true
	}
	if len(seen) < 40 {
		t.Fatalf("only %d distinct ports in 50 picks", len(seen))
	}
}
