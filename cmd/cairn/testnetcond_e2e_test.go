package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/testnet"
)

// `up --detach --latency` starts the proxy and dashboard processes and
// records them; delay/drop/limit change conditions through the proxy;
// bad values are refused; destroy stops both helpers.
func TestTestnetConditionsCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	dir := filepath.Join(t.TempDir(), "net")
	t.Cleanup(func() { _, _ = runCairn("testnet", "destroy", "--dir", dir) })
	out, err := runCairn("testnet", "up", "--detach", "--nodes", "2", "--miners", "0", "--dir", dir, "--latency", "30ms", "--loss", "0.5%")
	if err != nil {
		t.Fatalf("up: %v\n%s", err, out)
	}
	url := regexp.MustCompile(`dashboard: (http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(out)
	if url == nil || !strings.Contains(out, "latency 30ms") {
		t.Fatalf("up did not print the conditions and dashboard URL:\n%s", out)
	}
	resp, err := http.Get(url[1])
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("dashboard %s: %v %v", url[1], resp, err)
	}
	resp.Body.Close()
	n, err := testnet.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !n.ProxyRunning() || !n.DashboardRunning() {
		t.Fatalf("helpers not running: proxy %v, dashboard %v", n.ProxyRunning(), n.DashboardRunning())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"delay", "node2", "80ms", "--jitter", "10ms"}, "node2: latency 80ms±10ms, loss 0.5%"},
		{[]string{"drop", "all", "2%"}, "node1: latency 30ms±0s, loss 2%"},
		{[]string{"limit", "node1", "1mbit"}, "node1: latency 30ms±0s, loss 2%, bandwidth 1mbit"},
	} {
		out, err := runCairn(append(append([]string{"testnet"}, c.args...), "--dir", dir)...)
		if err != nil || !strings.Contains(out, c.want) {
			t.Fatalf("%v: %v\n%s\nwant %q", c.args, err, out, c.want)
		}
	}
	var st testnet.ProxyStatus
	cond, err := n.ReadConditions()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := readProxyStatus(dir, &st); err != nil || st.Generation != cond.Generation {
		t.Fatalf("proxy applied generation %d, conditions at %d (%v %s)", st.Generation, cond.Generation, err, b)
	}
	for _, bad := range [][]string{{"delay", "node1", "fast"}, {"drop", "node1", "100%"}, {"limit", "node1", "20mb"}, {"delay", "node9", "1ms"}} {
		if out, err := runCairn(append(append([]string{"testnet"}, bad...), "--dir", dir)...); err == nil {
			t.Fatalf("%v accepted:\n%s", bad, out)
		}
	}
	proxyPID, dashPID := n.State.ProxyPID, n.State.DashboardPID
	if out, err := runCairn("testnet", "destroy", "--dir", dir); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(proxyPID) || processAlive(dashPID) {
		if time.Now().After(deadline) {
			t.Fatalf("helpers outlived destroy: proxy %v, dashboard %v", processAlive(proxyPID), processAlive(dashPID))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
