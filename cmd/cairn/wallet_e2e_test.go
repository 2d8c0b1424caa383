package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stopNode stops n through the CLI and waits for the process to exit.
func stopNode(t *testing.T, n *runningNode) {
	t.Helper()
	n.mustCLI(t, "rpc", "stop")
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
	}
}

type addrRow struct {
	Address string `json:"address"`
	Label   string `json:"label"`
	Balance uint64 `json:"balance"`
}

func listAddrs(t *testing.T, n *runningNode) []addrRow {
	t.Helper()
	var rows []addrRow
	if err := json.Unmarshal([]byte(n.mustCLI(t, "wallet", "addresses", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func balance(t *testing.T, n *runningNode) (confirmed, pending uint64) {
	t.Helper()
	var b struct{ Confirmed, Pending uint64 }
	if err := json.Unmarshal([]byte(n.mustCLI(t, "wallet", "balance", "--json")), &b); err != nil {
		t.Fatal(err)
	}
	return b.Confirmed, b.Pending
}

// Create (phrase shown) -> receive -> lose the wallet -> restore from the
// phrase against the same chain -> same addresses and balance; then the
// backup file, put back in place, is the same wallet with its labels.
func TestEndToEndHDWalletRestoreAndBackup(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, filepath.Join(dir, "node"))
	pf := filepath.Join(dir, "pass")
	short := filepath.Join(dir, "short")
	_ = os.WriteFile(pf, []byte("correct horse\n"), 0o600)
	_ = os.WriteFile(short, []byte("horse\n"), 0o600)

	if _, errOut, err := n.cli(t, "wallet", "create", "--passphrase-file", short, "--yes"); err == nil ||
		!strings.Contains(errOut, "passphrase is too short: use at least 8 characters") {
		t.Fatalf("short passphrase: %v %q", err, errOut)
	}
	// Text output shows the phrase as a numbered grid.
	out := n.mustCLI(t, "wallet", "create", "--passphrase-file", pf, "--yes")
	words := regexp.MustCompile(`(\d+)\. ([a-z]+)`).FindAllStringSubmatch(out, -1)
	if len(words) != 24 || !strings.Contains(out, "m/86'/1'/0'") {
		t.Fatalf("create did not show a 24-word phrase:\n%s", out)
	}
	phrase := make([]string, 24)
	for _, w := range words {
		var i int
		fmt.Sscan(w[1], &i)
		phrase[i-1] = w[2]
	}
	mnemonicFile := filepath.Join(dir, "phrase")
	_ = os.WriteFile(mnemonicFile, []byte(strings.Join(phrase, " ")+"\n"), 0o600)

	a := n.mustCLI(t, "wallet", "address")
	b := n.mustCLI(t, "wallet", "address", "--label", "bob")
	unused := n.mustCLI(t, "wallet", "address")
	n.mustCLI(t, "rpc", "generatetoaddress", "101", a)
	// The max-fee guard speaks coins and yields to --force.
	if _, errOut, err := n.cli(t, "wallet", "send", b, "100", "--fee", "50", "--passphrase-file", pf); err == nil ||
		!strings.Contains(errOut, "the fee 50 CAIRN is more than 10% of the amount 100 CAIRN") || !strings.Contains(errOut, "--force") {
		t.Fatalf("max-fee guard: %v %q", err, errOut)
	}
	n.mustCLI(t, "wallet", "send", b, "2", "--fee", "0.5", "--passphrase-file", pf, "--force")
	n.mustCLI(t, "rpc", "generatetoaddress", "1", a)
	before := listAddrs(t, n)
	conf, pend := balance(t, n)
	if len(before) != 3 || before[1].Balance != 2e8 || conf == 0 || conf != pend {
		t.Fatalf("before restore: %+v, balance %d/%d", before, conf, pend)
	}
	backup := filepath.Join(dir, "backup.json")
	n.mustCLI(t, "wallet", "backup", backup)
	stopNode(t, n)

	// Lose the wallet; restore it from the phrase on the same chain.
	walletDir := filepath.Join(n.dataDir, "wallet")
	if err := os.RemoveAll(walletDir); err != nil {
		t.Fatal(err)
	}
	n2 := startNode(t, n.dataDir)
	out = n2.mustCLI(t, "wallet", "restore", "--mnemonic-file", mnemonicFile, "--passphrase-file", pf)
	if !strings.Contains(out, "2 addresses up to the last used one") {
		t.Fatalf("restore: %s", out)
	}
	after := listAddrs(t, n2)
	if len(after) != 2 || after[0].Address != a || after[1].Address != b || after[1].Balance != 2e8 {
		t.Fatalf("restored addresses %+v, want %s and %s", after, a, b)
	}
	if c2, p2 := balance(t, n2); c2 != conf || p2 != pend {
		t.Fatalf("restored balance %d/%d, want %d/%d", c2, p2, conf, pend)
	}
	// The next address continues the chain: the one handed out but never used.
	if next := n2.mustCLI(t, "wallet", "address"); next != unused {
		t.Fatalf("next address after restore %s, want %s", next, unused)
	}
	// The restored wallet signs.
	n2.mustCLI(t, "wallet", "send", a, "1", "--fee", "0.0001", "--from", b, "--passphrase-file", pf)
	keyB := n2.mustCLI(t, "wallet", "export", b, "--passphrase-file", pf)
	stopNode(t, n2)

	// The backup decrypts to the first wallet: labels and keys included.
	if err := os.RemoveAll(walletDir); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(walletDir, 0o700)
	bk, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(walletDir, "wallet.json"), bk, 0o600)
	n3 := startNode(t, n.dataDir)
	rows := listAddrs(t, n3)
	if len(rows) != 3 || rows[1].Address != b || rows[1].Label != "bob" || rows[2].Address != unused {
		t.Fatalf("backup wallet addresses %+v", rows)
	}
	if k := n3.mustCLI(t, "wallet", "export", b, "--passphrase-file", pf); k != keyB {
		t.Fatal("backup wallet holds another key for bob")
	}
}

// The README's regtest block, pasted whole into bash: it must pass as
// written. Only /tmp paths are moved into a temp dir, and the node gets a
// private port through its config file so parallel runs cannot collide.
func TestREADMERegtestBlock(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## A single node on regtest")
	if !ok {
		t.Fatal("README has no regtest section")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok || !strings.Contains(block, "--rpc-wait") {
		t.Fatalf("regtest block not found or without --rpc-wait:\n%s", block)
	}
	dir := t.TempDir()
	script := strings.ReplaceAll(block, "/tmp/", dir+"/")
	if err := os.Symlink(cairnBin, filepath.Join(dir, "cairn")); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "cairn-rt")
	port := freeLoopbackPort(t)
	_ = os.MkdirAll(dataDir, 0o700)
	conf := fmt.Sprintf("rpc-addr = 127.0.0.1:%d\nno-p2p = true\n", port)
	if err := os.WriteFile(filepath.Join(dataDir, "cairn.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-e", "-u", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("CAIRN_RPC_URL=http://127.0.0.1:%d", port))
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "cairn-rt.log"))
			t.Logf("node log:\n%s", log)
		}
	})
	if err != nil {
		t.Fatalf("README block failed: %v\n%s", err, out)
	}
	for _, want := range []string{"Recovery phrase", "confirmed  ", "CAIRN", "send", "backed up to", "cairn node stopping"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cairn-wallet-backup.json")); err != nil {
		t.Errorf("backup file: %v", err)
	}
	// rpc stop ends the node: its cookie goes away on a clean shutdown, and
	// its pid file last of all, after the mempool is saved (the temp dir
	// cannot be removed while the node still writes into it).
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, errCookie := os.Stat(filepath.Join(dataDir, ".cookie"))
		_, errPID := os.Stat(filepath.Join(dataDir, "cairn.pid"))
		if os.IsNotExist(errCookie) && os.IsNotExist(errPID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the README's node did not stop")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCLIUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"wallet", "sned"}, []string{`unknown command "sned" for "cairn wallet"`, "Did you mean this?", "send"}},
		{[]string{"testnet", "sattus"}, []string{`unknown command "sattus"`, "status"}},
		{[]string{"walet"}, []string{"Did you mean this?", "wallet"}},
	} {
		out, err := exec.Command(cairnBin, tc.args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
			t.Errorf("%v: exit %v, want non-zero\n%s", tc.args, err, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(cairnBin, args...).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "cairn ") || !strings.Contains(string(out), "go1.") ||
			!strings.Contains(string(out), "regtest (chain id 0xca1e0003") || !strings.Contains(string(out), "commit:") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(cairnBin, "node", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--genesis string") || strings.Contains(string(out), "--genesis cairn") {
		t.Errorf("node --help renders --genesis badly: %v\n%s", err, out)
	}
	for _, cmd := range []string{"create", "restore", "backup", "send", "address", "addresses", "balance", "history", "info", "import", "export", "unlock", "lock"} {
		out, err := exec.Command(cairnBin, "wallet", cmd, "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Examples:") {
			t.Errorf("wallet %s --help has no examples: %v", cmd, err)
		}
	}
}

// --rpc-wait: a client started before its node waits for it; without a
// node it gives up after --rpc-wait-timeout with the reason. A deleted
// cookie of a running node gets a hint to restart it.
func TestRPCWaitAndCookieHints(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "node")
	port := freeLoopbackPort(t)
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	out, err := exec.Command(cairnBin, "rpc", "getblockcount", "--network", "regtest", "--datadir", dataDir, "--rpc-url", u,
		"--rpc-wait", "--rpc-wait-timeout", "1s").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "gave up after --rpc-wait-timeout 1s") || !strings.Contains(string(out), "not running") {
		t.Fatalf("wait without a node: %v\n%s", err, out)
	}

	// Start the client first, then the node; CAIRN_* stand in for the flags.
	cl := exec.Command(cairnBin, "rpc", "getblockcount", "--rpc-wait", "--rpc-wait-timeout", "60s")
	cl.Env = append(os.Environ(), "CAIRN_NETWORK=regtest", "CAIRN_DATADIR="+dataDir, "CAIRN_RPC_URL="+u)
	var clOut strings.Builder
	cl.Stdout, cl.Stderr = &clOut, &clOut
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	node := exec.Command(cairnBin, "node", "--network", "regtest", "--datadir", dataDir, "--rpc-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--no-p2p", "--mdns", "off")
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Process.Kill(); _ = node.Wait() })
	if err := cl.Wait(); err != nil || strings.TrimSpace(clOut.String()) != "0" {
		t.Fatalf("waiting client: %v %q", err, clOut.String())
	}

	// Wrong built-in network: the hint names one that works.
	out, _ = exec.Command(cairnBin, "rpc", "getblockcount", "--network", "test", "--datadir", dataDir, "--rpc-url", u).CombinedOutput()
	if !strings.Contains(string(out), "pass --network regtest") {
		t.Fatalf("wrong network hint: %s", out)
	}
	// Deleted cookie: say so, and how to get back in.
	if err := os.Remove(filepath.Join(dataDir, ".cookie")); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(cairnBin, "rpc", "stop", "--network", "regtest", "--datadir", dataDir, "--rpc-url", u).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cookie") || !strings.Contains(string(out), "is missing") ||
		!strings.Contains(string(out), "restart the node") || !strings.Contains(string(out), "kill $(cat "+filepath.Join(dataDir, "cairn.pid")+")") {
		t.Fatalf("deleted cookie: %v %s", err, out)
	}
	// The hint works: the pid file names the node, and SIGTERM stops it cleanly.
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(dataDir, "cairn.pid"))))
	if err != nil || pid != node.Process.Pid {
		t.Fatalf("pid file: %d, %v; node pid %d", pid, err, node.Process.Pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := node.Wait(); err != nil {
		t.Fatalf("node after SIGTERM: %v", err)
	}
}
