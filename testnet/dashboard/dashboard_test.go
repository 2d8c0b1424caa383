package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/testnet/browsertest"

	"github.com/cairn-chain/cairn/testnet"
	"github.com/chromedp/chromedp"
)

var cairnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cairn-dashboard-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cairnBin = filepath.Join(dir, "cairn")
	if out, err := exec.Command("go", "build", "-o", cairnBin, "../../cmd/cairn").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build cairn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// upNet starts a network of real node processes with no background miner:
// the test mines when it wants a block.
func upNet(t *testing.T, nodes int, topology string) *testnet.Network {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process testnet test")
	}
	n, err := testnet.Create(testnet.Options{Dir: t.TempDir(), Nodes: nodes, Miners: -1, Topology: topology,
		BlockTime: time.Second, LoadAccounts: 16, HashRate: 1, Binary: cairnBin, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Destroy() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

func startDashboard(t *testing.T, dir string) *Server {
	t.Helper()
	d, err := New(Config{Dir: dir, Addr: "127.0.0.1:0", Interval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

func mine(t *testing.T, n *testnet.Network, i, k int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var hashes []string
	if err := n.Call(ctx, i, "generatetoaddress", []any{k, n.State.Nodes[i].MinerAddr}, &hashes); err != nil || len(hashes) != k {
		t.Fatalf("mine %d on %s: %v %v", k, n.State.Nodes[i].Name, hashes, err)
	}
}

// allHeights is a JS test that every node card shows height h.
func allHeights(nodes, h int) string {
	return fmt.Sprintf(`(() => { const hs = [...document.querySelectorAll('#nodes .node .height')].map(e => e.textContent);
		return hs.length === %d && hs.every(x => x === "%d"); })()`, nodes, h)
}

// The dashboard in a real browser: it shows every node, follows heights
// live without reloading, shows a partition made with its own form (cut
// links, disagreeing tips) and its heal, kills and restarts a node from
// its buttons, and charts a load run started from its button.
func TestDashboardBrowser(t *testing.T) {
	n := upNet(t, 3, "mesh")
	d := startDashboard(t, n.Dir)
	ctx := browsertest.Start(t, 1280, 1400)

	browsertest.Run(t, ctx, "open dashboard", chromedp.Navigate(d.URL()))
	waitJS(t, ctx, "3 running nodes", `document.querySelectorAll('#nodes .node').length === 3 &&
		[...document.querySelectorAll('#nodes .node .state')].every(e => e.textContent === "running") &&
		document.querySelectorAll('#graph g[data-node]').length === 3 && document.querySelectorAll('#graph line.link').length === 3`, 60*time.Second)
	browsertest.Screenshot(t, ctx, "1-nodes")

	var marker int
	browsertest.Run(t, ctx, "mark page", browsertest.Into(chromedp.Evaluate[int](`window.noReload = 7`), &marker))
	mine(t, n, 0, 2)
	waitJS(t, ctx, "height 2 on every node", allHeights(3, 2), 60*time.Second)
	waitJS(t, ctx, "the blocks' propagation rows", `document.querySelectorAll('#timeline circle').length >= 6`, 30*time.Second)
	browsertest.Run(t, ctx, "check no reload", browsertest.Into(chromedp.Evaluate[int](`window.noReload`), &marker))
	if marker != 7 {
		t.Fatalf("page reloaded to show new heights (marker %d)", marker)
	}
	browsertest.Screenshot(t, ctx, "2-heights")

	// Partition {1,2} | {3} from the page's form.
	browsertest.Run(t, ctx, "partition", chromedp.SetValue(chromedp.CSS(`#groups`), "1,2 3"), chromedp.Click(chromedp.CSS(`#partition`)))
	waitJS(t, ctx, "the cut links", `document.querySelectorAll('#graph line.cut').length === 2 && document.querySelectorAll('#graph line.link').length === 1`, 60*time.Second)
	var conns int
	if err := n.Call(context.Background(), 2, "getconnectioncount", []any{}, &conns); err != nil || conns != 0 {
		t.Fatalf("node3 after partition from the page: %d connections, %v", conns, err)
	}
	mine(t, n, 0, 1)
	waitJS(t, ctx, "tips disagreeing", `document.getElementById('agree').textContent.includes("DISAGREE")`, 60*time.Second)
	browsertest.Screenshot(t, ctx, "3-partition")

	browsertest.Run(t, ctx, "heal", chromedp.Click(chromedp.CSS(`#heal`)))
	waitJS(t, ctx, "healed links and agreeing tips", `document.querySelectorAll('#graph line.cut').length === 0 &&
		document.getElementById('agree').textContent === "tips agree"`, 90*time.Second)
	waitJS(t, ctx, "height 3 everywhere", allHeights(3, 3), 60*time.Second)
	browsertest.Screenshot(t, ctx, "4-healed")

	// Kill and start node3 from its card's buttons.
	browsertest.Run(t, ctx, "kill node3", chromedp.Click(chromedp.CSS(`#nodes [data-node="node3"] button[data-verb="kill"]`)))
	waitJS(t, ctx, "node3 stopped", `document.querySelector('#nodes [data-node="node3"]').classList.contains("down") &&
		document.querySelector('#graph g[data-node="node3"] circle').classList.contains("down")`, 60*time.Second)
	if m, err := testnet.Open(n.Dir); err != nil || m.Running(2) {
		t.Fatalf("node3 still running after the Kill button (%v)", err)
	}
	browsertest.Screenshot(t, ctx, "5-killed")
	browsertest.Run(t, ctx, "start node3", chromedp.Click(chromedp.CSS(`#nodes [data-node="node3"] button[data-verb="start"]`)))
	waitJS(t, ctx, "node3 running again and connected", `(() => { const c = document.querySelector('#nodes [data-node="node3"]');
		return !c.classList.contains("down") && c.querySelector('.height').textContent === "3" && document.querySelectorAll('#graph line.link').length === 3; })()`, 90*time.Second)
	if m, err := testnet.Open(n.Dir); err != nil || !m.Running(2) {
		t.Fatalf("node3 not running after the Start button (%v)", err)
	}
	browsertest.Screenshot(t, ctx, "6-restarted")

	// Load from the button; this test mines the blocks that confirm it.
	browsertest.Run(t, ctx, "load", chromedp.SetValue(chromedp.CSS(`#tps`), "10"), chromedp.SetValue(chromedp.CSS(`#duration`), "3s"),
		chromedp.Click(chromedp.CSS(`#load`)))
	deadline := time.Now().Add(90 * time.Second)
	for {
		var points int
		browsertest.Run(t, ctx, "count latency points", browsertest.Into(chromedp.Evaluate[int](`document.querySelectorAll('#lat-chart circle').length`), &points))
		if points > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no confirmation latency point after a load run")
		}
		mine(t, n, 1, 1)
		time.Sleep(500 * time.Millisecond)
	}
	waitJS(t, ctx, "the tx/s chart", `document.querySelectorAll('#tps-chart polyline').length === 2`, 30*time.Second)
	browsertest.Screenshot(t, ctx, "7-load")
}

// The HTTP rules: loopback only, JSON actions only, bad input is a 400.
func TestDashboardHTTPRules(t *testing.T) {
	n := upNet(t, 1, "mesh")
	if _, err := New(Config{Dir: n.Dir, Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("dashboard accepted a non-loopback address")
	}
	if _, err := New(Config{Dir: t.TempDir(), Addr: "127.0.0.1:0"}); err == nil {
		t.Fatal("dashboard accepted a directory without a testnet")
	}
	d := startDashboard(t, n.Dir)
	post := func(ctype, body string, host string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, d.URL()+"api/action", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := make([]byte, 512)
		k, _ := resp.Body.Read(b)
		return resp.StatusCode, string(b[:k])
	}
	cases := []struct {
		ctype, body, host string
		code              int
		want              string
	}{
		{"text/plain", `{"verb":"kill","node":"1"}`, "", 415, "application/json"},
		{"application/json", `{"verb":"kill","node":"1"}`, "evil.example:80", 403, "loopback"},
		{"application/json", `{"verb":"explode"}`, "", 400, "unknown verb"},
		{"application/json", `{"verb":"kill","node":"node9"}`, "", 400, "no node"},
		{"application/json", `{"verb":"partition","groups":"1"}`, "", 400, "two groups"},
		{"application/json", `{"verb":"load","tps":0,"duration":"1s"}`, "", 400, "tps"},
		{"application/json", `{"verb":"delay","node":"all","latency":"1ms"}`, "", 400, "without network conditions"},
		{"application/json", `{"verb":"kill","bogus":1}`, "", 400, "unknown field"},
	}
	for _, c := range cases {
		code, body := post(c.ctype, c.body, c.host)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s (host %q): %d %q, want %d containing %q", c.ctype, c.body, c.host, code, body, c.code, c.want)
		}
	}
	if m, err := testnet.Open(n.Dir); err != nil || !m.Running(0) {
		t.Fatalf("a refused action changed the network (%v)", err)
	}
}
