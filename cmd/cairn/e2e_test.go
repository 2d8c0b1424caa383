package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cairnBin is the cairn binary built once for the end-to-end tests.
var cairnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cairn-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cairnBin = filepath.Join(dir, "cairn")
	out, err := exec.Command("go", "build", "-o", cairnBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build cairn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runningNode is a real `cairn node` process.
type runningNode struct {
	cmd     *exec.Cmd
	dataDir string
	rpcURL  string
	log     *bytes.Buffer
	done    chan struct{}
}

func startNode(t *testing.T, dataDir string, extra ...string) *runningNode {
	t.Helper()
	port := freeLoopbackPort(t)
	args := append([]string{"node", "--network", "regtest", "--datadir", dataDir,
		"--rpc-addr", fmt.Sprintf("127.0.0.1:%d", port), "--no-p2p", "--mdns", "off"}, extra...)
	n := &runningNode{cmd: exec.Command(cairnBin, args...), dataDir: dataDir,
		rpcURL: fmt.Sprintf("http://127.0.0.1:%d", port), log: &bytes.Buffer{}, done: make(chan struct{})}
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		select {
		case <-n.done:
		default:
			_ = n.cmd.Process.Kill()
			<-n.done
		}
		if t.Failed() {
			t.Logf("node log:\n%s", n.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(dataDir, ".cookie")); err == nil {
			return n
		}
		select {
		case <-n.done:
			t.Fatalf("node exited during startup:\n%s", n.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("node did not write its RPC cookie in time:\n%s", n.log.String())
	return nil
}

// cli runs the cairn CLI against n and returns stdout, stderr and the error.
func (n *runningNode) cli(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	full := append(args, "--network", "regtest", "--datadir", n.dataDir, "--rpc-url", n.rpcURL)
	cmd := exec.Command(cairnBin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()), err
}

func (n *runningNode) mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := n.cli(t, args...)
	if err != nil {
		t.Fatalf("cairn %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func account(t *testing.T, n *runningNode, addr string) (balance, nonce uint64) {
	t.Helper()
	var a struct {
		Balance uint64 `json:"balance"`
		Nonce   uint64 `json:"nonce"`
	}
	if err := json.Unmarshal([]byte(n.mustCLI(t, "rpc", "getaccount", addr)), &a); err != nil {
		t.Fatal(err)
	}
	return a.Balance, a.Nonce
}

func TestEndToEndWalletFlow(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, filepath.Join(dir, "node"))
	pf := filepath.Join(dir, "pass")
	if err := os.WriteFile(pf, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Auth: no credentials and a wrong cookie are both refused with 401.
	body := `{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[]}`
	resp, err := http.Post(n.rpcURL, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no credentials: status %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, n.rpcURL, strings.NewReader(body))
	req.SetBasicAuth("__cookie__", "0000")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong cookie: status %d, want 401", resp.StatusCode)
	}
	if st, err := os.Stat(filepath.Join(n.dataDir, ".cookie")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cookie file: %v, mode %v", err, st.Mode())
	}

	n.mustCLI(t, "wallet", "create", "--passphrase-file", pf, "--yes")
	alice := n.mustCLI(t, "wallet", "address", "--label", "alice")
	bob := n.mustCLI(t, "wallet", "address", "--label", "bob")
	if !strings.HasPrefix(alice, "rcairn1") || alice == bob {
		t.Fatalf("addresses %q %q", alice, bob)
	}
	n.mustCLI(t, "rpc", "generatetoaddress", "101", alice)
	if got, _ := account(t, n, alice); got != 101*50*100_000_000 {
		t.Fatalf("alice after mining: %d", got)
	}

	// Mistakes get clear messages and change nothing.
	_, errOut, err := n.cli(t, "wallet", "send", bob, "1", "--passphrase-file", filepath.Join(dir, "nope"))
	if err == nil || !strings.Contains(errOut, "passphrase-file") {
		t.Fatalf("missing passphrase file: %v %q", err, errOut)
	}
	wrong := filepath.Join(dir, "wrong")
	_ = os.WriteFile(wrong, []byte("wrong\n"), 0o600)
	if _, errOut, err = n.cli(t, "wallet", "send", bob, "1", "--passphrase-file", wrong); err == nil || !strings.Contains(errOut, "wrong wallet passphrase") {
		t.Fatalf("wrong passphrase: %v %q", err, errOut)
	}
	typo := bob[:len(bob)-1] + string("qpzry9x8"[strings.IndexByte("qpzry9x8", bob[len(bob)-1])%7+1])
	if _, errOut, err = n.cli(t, "wallet", "send", typo, "1", "--passphrase-file", pf); err == nil || !strings.Contains(errOut, "checksum") {
		t.Fatalf("bad checksum: %v %q", err, errOut)
	}
	if _, errOut, err = n.cli(t, "wallet", "send", bob, "1000000", "--passphrase-file", pf); err == nil || !strings.Contains(errOut, "insufficient funds") {
		t.Fatalf("insufficient funds: %v %q", err, errOut)
	}
	// The CLI told the wrong network, pointed at this node: refused before signing.
	user, pass, _ := strings.Cut(readFile(t, filepath.Join(n.dataDir, ".cookie")), ":")
	wn := exec.Command(cairnBin, "wallet", "send", bob, "1.5", "--network", "test", "--rpc-url", n.rpcURL,
		"--rpc-user", user, "--rpc-password", pass, "--passphrase-file", pf)
	if out, err := wn.CombinedOutput(); err == nil || !strings.Contains(string(out), `runs network "regtest"`) {
		t.Fatalf("wrong network: %v %q", err, out)
	}

	txid := n.mustCLI(t, "wallet", "send", bob, "1.5", "--passphrase-file", pf)
	if len(txid) != 64 {
		t.Fatalf("txid %q", txid)
	}
	var bal struct{ Confirmed, Pending uint64 }
	if err := json.Unmarshal([]byte(n.mustCLI(t, "wallet", "balance", "--json")), &bal); err != nil {
		t.Fatal(err)
	}
	n.mustCLI(t, "rpc", "generatetoaddress", "1", alice)

	// Alice mined 102 blocks, collected her own fee back, and paid 1.5 + fee.
	aliceBal, aliceNonce := account(t, n, alice)
	bobBal, _ := account(t, n, bob)
	if bobBal != 150_000_000 {
		t.Fatalf("bob balance %d, want 150000000", bobBal)
	}
	if want := uint64(102*50*100_000_000 - 150_000_000); aliceBal != want || aliceNonce != 1 {
		t.Fatalf("alice balance %d nonce %d, want %d and 1", aliceBal, aliceNonce, want)
	}
	var hist []map[string]any
	if err := json.Unmarshal([]byte(n.mustCLI(t, "wallet", "history", "--json")), &hist); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range hist {
		if h["txid"] == txid && h["category"] == "send" && h["confirmations"].(float64) == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("history lacks the confirmed send %s: %v", txid, hist)
	}
	table := n.mustCLI(t, "wallet", "addresses")
	if !strings.Contains(table, "bob") || !strings.Contains(table, "1.5") {
		t.Fatalf("addresses table:\n%s", table)
	}

	// Clean shutdown removes the cookie; then the CLI says the node is down.
	n.mustCLI(t, "rpc", "stop")
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		t.Fatal("node did not stop")
	}
	if _, err := os.Stat(filepath.Join(n.dataDir, ".cookie")); !os.IsNotExist(err) {
		t.Fatalf("cookie still present after shutdown: %v", err)
	}
	_, errOut, err = n.cli(t, "wallet", "balance", "--rpc-user", "u", "--rpc-password", "p")
	if err == nil || !strings.Contains(errOut, "not running") {
		t.Fatalf("stopped node: %v %q", err, errOut)
	}

	// Restart on the same data dir: the chain and wallet are still there.
	n2 := startNode(t, n.dataDir)
	if got, _ := account(t, n2, bob); got != 150_000_000 {
		t.Fatalf("after restart bob has %d", got)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestNodeRefusesLockedDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node")
	startNode(t, dir)
	port := freeLoopbackPort(t)
	out, err := exec.Command(cairnBin, "node", "--network", "regtest", "--datadir", dir, "--no-p2p",
		"--rpc-addr", fmt.Sprintf("127.0.0.1:%d", port)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another cairn node") {
		t.Fatalf("second node on the same dir: %v\n%s", err, out)
	}
}

func TestNodeFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"node", "--network", "nope"}, "main, test, regtest"},
		{[]string{"node", "--network", "regtest", "--verify-blocks", "-5"}, "from 0 to"},
		{[]string{"node", "--network", "regtest", "--mine"}, "--miner-address"},
		{[]string{"node", "--network", "regtest", "--mine", "--miner-address", "cairn1xyz"}, "--miner-address"},
		{[]string{"node", "--network", "regtest", "--log-level", "loud"}, "--log-level"},
		{[]string{"node", "--network", "regtest", "--genesis", "/nonexistent.json"}, "genesis"},
		{[]string{"node", "--network", "regtest", "--config", "/nonexistent.conf"}, "config"},
		{[]string{"node", "--network", "regtest", "--sigcache-mb", "-1"}, "--sigcache-mb"},
		{[]string{"node", "--network", "regtest", "--sigcache-mb", "99999999"}, "--sigcache-mb"},
	}
	for _, c := range cases {
		out, err := exec.Command(cairnBin, append(c.args, "--datadir", t.TempDir())...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: err %v, output %q, want it to mention %q", c.args, err, out, c.want)
		}
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "cairn.conf")
	_ = os.WriteFile(conf, []byte("# comment\nnetwork = regtest\nbogus = 1\n"), 0o600)
	out, err := exec.Command(cairnBin, "node", "--config", conf, "--datadir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown setting "bogus"`) {
		t.Fatalf("unknown key: %v %s", err, out)
	}
}
