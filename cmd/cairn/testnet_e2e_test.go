package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-chain/cairn/testnet"
)

func runCairn(args ...string) (string, error) {
	out, err := exec.Command(cairnBin, args...).CombinedOutput()
	return string(out), err
}

// `testnet up` guards: zero values and flags contradicting an existing
// network are errors, a second `up` on a running network says so and does
// not attach, two concurrent `up`s give one network and one clear refusal,
// and destroy waits for the nodes.
func TestTestnetUpGuards(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	for _, args := range [][]string{{"--nodes", "0"}, {"--block-time", "0s"}} {
		out, err := runCairn(append([]string{"testnet", "up", "--detach", "--dir", filepath.Join(t.TempDir(), "z")}, args...)...)
		if err == nil || !strings.Contains(out, "must be positive") {
			t.Fatalf("up %v: err %v, output %q", args, err, out)
		}
	}

	dir := filepath.Join(t.TempDir(), "net")
	// Two concurrent `up`s: exactly one creates and starts the network.
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = runCairn("testnet", "up", "--detach", "--nodes", "1", "--miners", "0", "--dir", dir)
		}()
	}
	wg.Wait()
	t.Cleanup(func() { _, _ = runCairn("testnet", "destroy", "--dir", dir) })
	ok, refused := 0, 0
	for i := range outs {
		switch {
		case errs[i] == nil:
			ok++
		case strings.Contains(outs[i], "another cairn testnet command"):
			refused++
		default:
			t.Fatalf("concurrent up %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	// The loser may also have come second, after the winner finished: then
	// it finds the network running and says so.
	if ok == 2 {
		if !strings.Contains(outs[0]+outs[1], "already running") {
			t.Fatalf("two successful ups, neither saw the other:\n%s\n%s", outs[0], outs[1])
		}
	} else if ok != 1 || refused != 1 {
		t.Fatalf("ok %d refused %d:\n%s\n%s", ok, refused, outs[0], outs[1])
	}
	if strings.Count(outs[0]+outs[1], "created ") != 1 {
		t.Fatalf("want exactly one \"created\":\n%s\n%s", outs[0], outs[1])
	}

	out, err := runCairn("testnet", "up", "--detach", "--nodes", "3", "--dir", dir)
	if err == nil || !strings.Contains(out, "--nodes 3 contradicts") {
		t.Fatalf("contradicting --nodes: err %v, output %q", err, out)
	}
	out, err = runCairn("testnet", "up", "--dir", dir) // foreground: must not attach
	if err != nil || !strings.Contains(out, "already running") {
		t.Fatalf("second up: err %v, output %q", err, out)
	}

	// One node without its four flags: testnet rpc, and testnet env's
	// exports feeding a plain `cairn rpc`.
	out, err = runCairn("testnet", "rpc", "node1", "getblockcount", "--dir", dir)
	if err != nil || strings.TrimSpace(out) != "0" {
		t.Fatalf("testnet rpc: err %v, output %q", err, out)
	}
	out, err = runCairn("testnet", "env", "node1", "--dir", dir)
	if err != nil || !strings.Contains(out, "export CAIRN_RPC_URL=") {
		t.Fatalf("testnet env: err %v, output %q", err, out)
	}
	sh := exec.Command("bash", "-c", "eval \"$1\" && \"$2\" rpc getbestblockhash", "_", out, cairnBin)
	if b, err := sh.CombinedOutput(); err != nil || len(strings.TrimSpace(string(b))) != 64 {
		t.Fatalf("cairn rpc with testnet env: err %v, output %q", err, b)
	}

	n, err := testnet.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// --genesis and --datadir alone find the node: it wrote its RPC URL
	// into the data dir (no --rpc-url, no default port).
	out, err = runCairn("rpc", "getblockcount", "--genesis", filepath.Join(dir, testnet.GenesisFile), "--datadir", n.State.Nodes[0].Dir)
	if err != nil || strings.TrimSpace(out) != "0" {
		t.Fatalf("rpc with --genesis/--datadir only: err %v, output %q", err, out)
	}
	pid := n.State.Nodes[0].PID
	if out, err := runCairn("testnet", "destroy", "--dir", dir); err != nil {
		t.Fatalf("destroy: %v %s", err, out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dir still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil && !zombie(pid) {
		t.Fatalf("node pid %d still running after destroy", pid)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	k := strings.LastIndexByte(s, ')')
	return k >= 0 && k+2 < len(s) && s[k+2] == 'Z'
}
