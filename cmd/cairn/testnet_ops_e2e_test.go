package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/testnet"
)

// `testnet up` lists the funded accounts and where their keys are;
// `testnet wallet NODE ...` pays from a node's wallet with no flags to
// type, and the payment confirms; `load` shows its progress.
func TestTestnetWalletAndAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	dir := filepath.Join(t.TempDir(), "net")
	out, err := runCairn("testnet", "up", "--detach", "--nodes", "2", "--miners", "1", "--block-time", "1s", "--dir", dir)
	t.Cleanup(func() { _, _ = runCairn("testnet", "destroy", "--dir", dir) })
	if err != nil {
		t.Fatalf("up: %v\n%s", err, out)
	}
	n, err := testnet.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Funded accounts (1000000 CAIRN each", n.Keys[0].Address, n.Keys[1].Address,
		"node1's wallet", filepath.Join(n.Dir, testnet.KeysFile), filepath.Join(n.Dir, testnet.PassphraseFile),
		"cairn testnet wallet node1 send"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}

	to := n.Keys[len(n.Keys)-1].Address
	out, err = runCairn("testnet", "wallet", "node1", "send", to, "1.5", "--dir", dir)
	if err != nil || !strings.Contains(out, "sent 1.5 CAIRN") {
		t.Fatalf("testnet wallet send: %v\n%s", err, out)
	}
	// Confirmed on the other node: the load account now holds 1.5 more.
	want := testnet.FundPerAccount + 150_000_000
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err = runCairn("testnet", "rpc", "node2", "getaccount", to, "--dir", dir)
		var a struct {
			Balance uint64 `json:"balance"`
		}
		if err == nil && json.Unmarshal([]byte(out), &a) == nil && a.Balance == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment not confirmed on node2: %v %s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, err = runCairn("testnet", "wallet", "--dir", dir, "node1", "history", "--json"); err != nil || !strings.Contains(out, to) {
		t.Fatalf("testnet wallet history: %v\n%s", err, out)
	}
	if out, err = runCairn("testnet", "wallet", "node9", "balance", "--dir", dir); err == nil || !strings.Contains(out, "no node") {
		t.Fatalf("unknown node: %v\n%s", err, out)
	}

	cmd := exec.Command(cairnBin, "testnet", "load", "--tps", "5", "--duration", "3s", "--dir", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("load: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "sent ") || !strings.Contains(stderr.String(), "/15,") {
		t.Fatalf("load printed no progress line:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "submitted") {
		t.Fatalf("load report: %s", stdout.String())
	}
}
