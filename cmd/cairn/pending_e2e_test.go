package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func confirmations(t *testing.T, n *runningNode, txid string) (int64, bool) {
	t.Helper()
	out, _, err := n.cli(t, "rpc", "gettransaction", txid)
	if err != nil {
		return 0, false
	}
	var tx struct {
		Confirmations int64 `json:"confirmations"`
	}
	if err := json.Unmarshal([]byte(out), &tx); err != nil {
		t.Fatal(err)
	}
	return tx.Confirmations, true
}

// A payment not yet mined survives a clean restart (the pool is saved and
// reloaded) and a kill -9 that loses the pool (the wallet's outbox puts it
// back), is shown as pending meanwhile, and confirms after.
func TestUnconfirmedPaymentSurvivesRestartAndCrash(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "node")
	n := startNode(t, data)
	pf := filepath.Join(dir, "pass")
	_ = os.WriteFile(pf, []byte("correct horse\n"), 0o600)
	n.mustCLI(t, "wallet", "create", "--passphrase-file", pf, "--yes")
	a := n.mustCLI(t, "wallet", "address")
	b := n.mustCLI(t, "wallet", "address", "--label", "bob")
	n.mustCLI(t, "rpc", "generatetoaddress", "101", a)
	txid := strings.TrimSpace(n.mustCLI(t, "wallet", "send", b, "1.5", "--fee", "0.001", "--passphrase-file", pf))
	if len(txid) != 64 {
		t.Fatalf("send printed %q, want a txid", txid)
	}
	_, pendingBefore := balance(t, n)

	// Clean restart: back at once from mempool.dat.
	stopNode(t, n)
	if _, err := os.Stat(filepath.Join(data, "mempool.dat")); err != nil {
		t.Fatalf("no saved pool after a clean stop: %v", err)
	}
	n = startNode(t, data)
	if c, ok := confirmations(t, n, txid); !ok || c != 0 {
		t.Fatalf("after a clean restart: found=%v confirmations=%d, want pending", ok, c)
	}
	if _, p := balance(t, n); p != pendingBefore {
		t.Fatalf("pending balance %d after restart, was %d", p, pendingBefore)
	}
	if out := n.mustCLI(t, "wallet", "history"); !strings.Contains(out, txid[:12]) {
		t.Fatalf("history after restart lacks the payment:\n%s", out)
	}

	// kill -9, and the saved pool is gone too: the wallet brings it back.
	_ = n.cmd.Process.Kill()
	<-n.done
	_ = os.Remove(filepath.Join(data, "mempool.dat"))
	n = startNode(t, data)
	deadline := time.Now().Add(40 * time.Second)
	for {
		if c, ok := confirmations(t, n, txid); ok && c == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("payment not rebroadcast from the wallet outbox after a crash")
		}
		time.Sleep(200 * time.Millisecond)
	}
	n.mustCLI(t, "rpc", "generatetoaddress", "1", a)
	if c, ok := confirmations(t, n, txid); !ok || c != 1 {
		t.Fatalf("after mining: found=%v confirmations=%d", ok, c)
	}
	if _, p := balance(t, n); p == pendingBefore {
		t.Fatal("pending balance unchanged after the payment confirmed")
	}
}
