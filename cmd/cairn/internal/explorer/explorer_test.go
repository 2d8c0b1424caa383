package explorer

import (
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/testnet/browsertest"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/chromedp/chromedp"
)

// TestExplorerInBrowser drives the pages in headless Chromium against a
// real node: a mined block and its tx are shown, search lands on the right
// page for each kind of query, and new blocks and mempool txs appear live.
func TestExplorerInBrowser(t *testing.T) {
	n := newTestNode(t)
	ctx := browsertest.Start(t, 1280, 900)
	hrp := n.params.AddressHRP
	payee := chaintest.NewKey("explorer/payee").Addr
	miner := chaintest.NewKey("explorer/miner").Addr
	txid := n.pay(0, 0, payee, 5*consensus.Coin)
	hash1 := n.mine(1, miner)[0]

	var title, text, loc string
	browsertest.Run(t, ctx, "home page shows block 1",
		chromedp.Navigate(n.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#blocks tr[data-hash="`+hash1+`"]`)))
	browsertest.Screenshot(t, ctx, "home")

	browsertest.Run(t, ctx, "block page shows the tx",
		chromedp.Click(chromedp.CSS(`#blocks tr[data-hash="`+hash1+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#txs tr[data-txid="`+txid+`"]`)),
		browsertest.Into(chromedp.Text(chromedp.CSS(`#page-title`)), &title),
		browsertest.Into(chromedp.Text(chromedp.CSS(`main`)), &text))
	if title != "Block 1" || !strings.Contains(text, hash1) || !strings.Contains(text, "5 CAIRN") {
		t.Fatalf("block page: title %q, text %q", title, text)
	}
	browsertest.Screenshot(t, ctx, "block")

	browsertest.Run(t, ctx, "tx page",
		chromedp.Click(chromedp.CSS(`#txs tr[data-txid="`+txid+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`table.kv`)),
		browsertest.Into(chromedp.Text(chromedp.CSS(`main`)), &text),
		browsertest.Into(chromedp.Location(), &loc))
	if loc != n.url+"/tx/"+txid || !strings.Contains(text, "confirmed") || !strings.Contains(text, payee.Encode(hrp)) || !strings.Contains(text, "5 CAIRN") {
		t.Fatalf("tx page at %s: %q", loc, text)
	}
	browsertest.Screenshot(t, ctx, "tx")

	// Search: each kind of query lands on its page.
	for _, c := range []struct{ query, path, want string }{
		{"1", "/block/" + hash1, "Block 1"},
		{hash1, "/block/" + hash1, "Block 1"},
		{txid, "/tx/" + txid, "Transaction"},
		{payee.Encode(hrp), "/address/" + payee.Encode(hrp), "Address " + payee.Encode(hrp)},
	} {
		// Typed and sent with Enter, as a person does.
		browsertest.Run(t, ctx, "search "+c.query,
			chromedp.Navigate(n.url+"/"),
			chromedp.WaitVisible(chromedp.CSS(`#blocks tr`)),
			chromedp.SendKeys(chromedp.CSS(`#q`), c.query+"\r"))
		waitURL(t, ctx, n.url+c.path)
		browsertest.Run(t, ctx, "page after search "+c.query,
			chromedp.WaitVisible(chromedp.CSS(`table.kv`)),
			browsertest.Into(chromedp.Text(chromedp.CSS(`#page-title`)), &title))
		if title != c.want {
			t.Fatalf("search %q: page titled %q, want %q", c.query, title, c.want)
		}
	}
	browsertest.Run(t, ctx, "address page",
		chromedp.WaitVisible(chromedp.CSS(`#history tr[data-txid="`+txid+`"]`)),
		browsertest.Into(chromedp.Text(chromedp.CSS(`#balance`)), &text))
	if text != "5 CAIRN" {
		t.Fatalf("address balance %q, want 5 CAIRN", text)
	}
	browsertest.Screenshot(t, ctx, "address")
	browsertest.Run(t, ctx, "search for nothing",
		chromedp.SendKeys(chromedp.CSS(`#q`), strings.Repeat("ab", 32)+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`#error`)),
		browsertest.Into(chromedp.Text(chromedp.CSS(`#error`)), &text))
	if !strings.Contains(text, "nothing found") {
		t.Fatalf("unknown hash: %q", text)
	}

	// Live: a block mined after the page loaded appears without a reload
	// (a marker set in the page survives), and the tip height follows.
	var marker int
	browsertest.Run(t, ctx, "home page, live",
		chromedp.Navigate(n.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#blocks tr[data-hash="`+hash1+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#status.on`)),
		browsertest.Into(chromedp.Evaluate[int](`window.noReload = 42`), &marker))
	hash2 := n.mine(1, miner)[0]
	browsertest.Run(t, ctx, "new block appears live",
		chromedp.WaitVisible(chromedp.CSS(`#blocks tr[data-hash="`+hash2+`"]`)),
		browsertest.Into(chromedp.Evaluate[int](`window.noReload`), &marker),
		browsertest.Into(chromedp.Text(chromedp.CSS(`#tip-height`)), &text))
	if marker != 42 || text != "2" {
		t.Fatalf("after a live block: marker %d (want 42: no reload), tip %q", marker, text)
	}
	browsertest.Screenshot(t, ctx, "home-live")

	// Mempool page: a tx sent while it is open appears live.
	browsertest.Run(t, ctx, "mempool page",
		chromedp.Navigate(n.url+"/mempool"),
		chromedp.WaitVisible(chromedp.CSS(`#mempool`)),
		chromedp.WaitVisible(chromedp.CSS(`#status.on`)))
	txid2 := n.pay(1, 0, payee, 2*consensus.Coin)
	browsertest.Run(t, ctx, "mempool tx appears live",
		chromedp.WaitVisible(chromedp.CSS(`#mempool tr[data-txid="`+txid2+`"]`)),
		browsertest.Into(chromedp.Text(chromedp.CSS(`#mempool-size`)), &text))
	if text != "1" {
		t.Fatalf("mempool size %q, want 1", text)
	}
	browsertest.Screenshot(t, ctx, "mempool")
}

// TestExplorerFirstPaint measures the time from navigation to a rendered
// block page with its txs (the figure in docs/PERFORMANCE.md). Set
// CAIRN_FIGURES=1 for more runs.
func TestExplorerFirstPaint(t *testing.T) {
	n := newTestNode(t)
	ctx := browsertest.Start(t, 1280, 900)
	txid := n.pay(0, 0, chaintest.NewKey("paint/payee").Addr, consensus.Coin)
	hash := n.mine(1, chaintest.NewKey("paint/miner").Addr)[0]
	runs := 5
	if os.Getenv("CAIRN_FIGURES") != "" {
		runs = 50
	}
	var took []time.Duration
	for range runs {
		start := time.Now()
		browsertest.Run(t, ctx, "block page",
			chromedp.Navigate(n.url+"/block/"+hash),
			chromedp.WaitVisible(chromedp.CSS(`#txs tr[data-txid="`+txid+`"]`)))
		took = append(took, time.Since(start))
		browsertest.Run(t, ctx, "blank", chromedp.Navigate("about:blank"))
	}
	first := took[0]
	slices.Sort(took)
	t.Logf("explorer first paint of a block page over %d loads: first %v, p50 %v, max %v", runs, first.Round(time.Millisecond),
		took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}

// TestExplorerHTTPRules checks the rules that need no browser: loopback
// Host only, peers behind the RPC credentials, no wallet or control
// methods, and a non-loopback address refused without credentials.
func TestExplorerHTTPRules(t *testing.T) {
	n := newTestNode(t)
	get := func(path, host string, auth bool) (int, string) {
		req, _ := http.NewRequest("GET", n.url+path, nil)
		if host != "" {
			req.Host = host
		}
		if auth {
			req.SetBasicAuth(n.client.User, n.client.Password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(body string, auth bool) (int, string) {
		req, _ := http.NewRequest("POST", n.url+"/api", strings.NewReader(body))
		if auth {
			req.SetBasicAuth(n.client.User, n.client.Password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	call := func(method string) string { return `{"jsonrpc":"2.0","id":1,"method":"` + method + `"}` }
	for _, c := range []struct {
		name string
		code int
		want string
		do   func() (int, string)
	}{
		{"home", 200, "<title>Cairn explorer</title>", func() (int, string) { return get("/", "", false) }},
		{"asset", 200, "function route", func() (int, string) { return get("/static/app.js", "", false) }},
		{"rebinding", http.StatusMisdirectedRequest, "loopback host", func() (int, string) { return get("/", "attacker.example:80", false) }},
		{"peers without credentials", 401, "RPC credentials", func() (int, string) { return get("/peers", "", false) }},
		{"peers with credentials", 200, "<title>Cairn explorer</title>", func() (int, string) { return get("/peers", "", true) }},
		{"unknown page", 404, "not found", func() (int, string) { return get("/nope", "", false) }},
		{"public call", 200, `"result":0`, func() (int, string) { return post(call("getblockcount"), false) }},
		{"peer call without credentials", 401, "-32001", func() (int, string) { return post(call("getpeerinfo"), false) }},
		{"peer call with credentials", 200, `"result":[]`, func() (int, string) { return post(call("getpeerinfo"), true) }},
		{"wallet call, even with credentials", 200, "not part of the explorer", func() (int, string) { return post(call("getbalance"), true) }},
		{"control call", 200, "not part of the explorer", func() (int, string) { return post(call("stop"), true) }},
	} {
		code, body := c.do()
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: HTTP %d %.200q, want %d with %q", c.name, code, body, c.code, c.want)
		}
	}
	if _, err := New(Config{Addr: "0.0.0.0:0", API: http.NotFoundHandler(), Authorized: func(*http.Request) bool { return false }}); err == nil ||
		!strings.Contains(err.Error(), "--rpc-user") {
		t.Fatalf("non-loopback without credentials: %v", err)
	}
	if _, err := New(Config{Addr: "0.0.0.0:0", Credentials: true, API: http.NotFoundHandler(), Authorized: func(*http.Request) bool { return false }}); err != nil {
		t.Fatalf("non-loopback with credentials: %v", err)
	}
}
