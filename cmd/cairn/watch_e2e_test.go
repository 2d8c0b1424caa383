package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// TestWalletWatch runs `cairn wallet watch` against a real node: a payment
// shows as pending, then confirmed with its block; a block mined to the
// wallet shows as incoming; Ctrl-C (SIGINT) ends it cleanly.
func TestWalletWatch(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, filepath.Join(dir, "node"))
	pf := filepath.Join(dir, "pass")
	if err := os.WriteFile(pf, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n.mustCLI(t, "wallet", "create", "--passphrase-file", pf, "--yes")
	alice := n.mustCLI(t, "wallet", "address", "--label", "alice")
	n.mustCLI(t, "rpc", "generatetoaddress", "101", alice)
	outsider := consensus.Address{0xca, 0x1e}.Encode(consensus.RegtestParams().AddressHRP) // not the wallet's
	cmd := exec.Command(cairnBin, "wallet", "watch", "--network", "regtest", "--datadir", n.dataDir, "--rpc-url", n.rpcURL)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "watching") {
				started <- sc.Text()
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("wallet watch did not start")
	}
	next := func(want ...string) string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("wallet watch exited; want a line with %q", want)
			}
			for _, w := range want {
				if !strings.Contains(l, w) {
					t.Fatalf("line %q, want %q", l, want)
				}
			}
			return l
		case <-time.After(30 * time.Second):
			t.Fatalf("no line with %q within 30s", want)
		}
		return ""
	}

	txid := n.mustCLI(t, "wallet", "send", outsider, "1", "--passphrase-file", pf)
	next("pending", "outgoing", "-1.00", "to "+outsider, txid)
	n.mustCLI(t, "rpc", "generatetoaddress", "1", outsider)
	next("confirmed", "outgoing", txid, "block 102")
	n.mustCLI(t, "rpc", "generatetoaddress", "1", alice)
	next("confirmed", "incoming", "+50", "mined", "block 103")

	go func() { exited <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("wallet watch after Ctrl-C: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("wallet watch did not exit on SIGINT")
	}
}
