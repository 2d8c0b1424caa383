package rpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// trickler is a raw connection that sent its request headers and sends
// its body one byte per interval.
type trickler struct {
	conn net.Conn
	done chan struct{}
}

// startTrickle opens a connection, sends headers declaring a body of
// declared bytes and one body byte, then one more byte every interval
// until stopped or the server gives up.
func startTrickle(t *testing.T, n *testNode, declared int, interval time.Duration) *trickler {
	t.Helper()
	conn, err := net.Dial("tcp", n.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, n.client.URL, nil)
	req.SetBasicAuth(n.client.User, n.client.Password)
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST / HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/json\r\n",
		n.srv.Addr(), req.Header.Get("Authorization"))
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n{", declared)
	if _, err := conn.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	tr := &trickler{conn: conn, done: make(chan struct{})}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-tr.done:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return // the server cut us off
				}
			}
		}
	}()
	t.Cleanup(func() { tr.stop() })
	return tr
}

func (tr *trickler) stop() {
	select {
	case <-tr.done:
	default:
		close(tr.done)
		tr.conn.Close()
	}
}

// response reads the server's answer on the trickling connection.
func (tr *trickler) response(within time.Duration) (*http.Response, []byte, error) {
	tr.conn.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(bufio.NewReader(tr.conn), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSlowBodiesCannotStarve has MaxConcurrent authenticated clients send
// their bodies at one byte per second (before issue 8 they held every work
// slot for the 30 s read timeout, and everyone else got "server busy").
// Another client's calls must succeed while they trickle, and the
// tricklers must be cut off with a 408 after about BodyTimeout.
func TestSlowBodiesCannotStarve(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	clients := n.srv.cfg.MaxConcurrent
	var trs []*trickler
	for i := 0; i < clients; i++ {
		trs = append(trs, startTrickle(t, n, 200, time.Second))
	}
	// Every trickler is inside the handler, reading its body.
	waitFor(t, 10*time.Second, "the tricklers to be admitted", func() bool { return len(n.srv.admission) == clients })

	start := time.Now()
	for i := 0; i < 5; i++ {
		var height uint64
		if err := n.call("getblockcount", nil, &height); err != nil {
			t.Fatalf("getblockcount while %d clients trickle: %v", clients, err)
		}
	}
	took := time.Since(start)
	t.Logf("5 getblockcount calls beside %d trickling clients took %v", clients, took)
	// Generous: only a call that waited out the slow clients would fail it.
	if took > n.srv.cfg.BodyTimeout {
		t.Errorf("calls took %v, as long as the trickling clients are allowed", took)
	}

	// Each trickler gets a JSON-RPC 408 once it falls below the minimum
	// rate: about BodyTimeout after it began, far below the 30 s ReadTimeout.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var latest time.Duration
	for _, tr := range trs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body, err := tr.response(20 * time.Second)
			if err != nil {
				t.Errorf("trickler: %v", err)
				return
			}
			mu.Lock()
			latest = max(latest, time.Since(start))
			mu.Unlock()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Errorf("trickler got status %d: %s", resp.StatusCode, body)
			}
			if e, _ := decodeError(t, body); e.Code != CodeInvalidRequest || !strings.Contains(e.Message, "timeout") {
				t.Errorf("trickler got %v", e)
			}
		}()
	}
	wg.Wait()
	t.Logf("tricklers cut off within %v of the calls", latest)
	if len(n.srv.admission) != 0 {
		t.Errorf("%d admission slots still held", len(n.srv.admission))
	}
}

// TestBodyMemoryBudget holds the whole byte budget with one slow client
// that declared a large body: another large body is refused as busy, but
// small requests are not held up by it.
func TestBodyMemoryBudget(t *testing.T) {
	n := newTestNode(t, nodeOptions{
		config: func(c *Config) {
			c.MaxBodyMemory = DefaultMaxBody(c.Backend.Params) // one large body at a time
			c.BodyTimeout = time.Minute                        // keep the slow client
		},
		setup: func(s *Server) { s.busyWait = 200 * time.Millisecond },
	})
	tr := startTrickle(t, n, int(n.srv.cfg.MaxBodyBytes), 100*time.Millisecond)
	defer tr.stop()
	waitFor(t, 10*time.Second, "the large body to reserve the budget", func() bool {
		if n.srv.bodyBytes.TryAcquire(1) {
			n.srv.bodyBytes.Release(1)
			return false
		}
		return true
	})
	n.must("getblockcount", nil, nil)

	big := `{"jsonrpc":"2.0","id":1,"method":"submitblock","params":["` + strings.Repeat("00", 100<<10) + `"]}`
	status, body := n.post(http.MethodPost, big)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("large body beside a full budget: status %d %s", status, body)
	}
	if e, _ := decodeError(t, body); e.Code != CodeInternal || !strings.Contains(e.Message, "busy") {
		t.Fatalf("got %v", e)
	}
	tr.stop()
	// Once the slow client is gone its reservation is returned.
	waitFor(t, 10*time.Second, "the budget to be released", func() bool {
		status, _ := n.post(http.MethodPost, big)
		return status == http.StatusOK
	})
}

// TestChunkedBodies covers bodies without a Content-Length: small, larger
// than the unreserved part, and over the limit.
func TestChunkedBodies(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	post := func(body string) (int, []byte) {
		// A reader of unknown length makes the client send it chunked.
		req, err := http.NewRequest(http.MethodPost, n.client.URL, io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(n.client.User, n.client.Password)
		if req.ContentLength > 0 {
			t.Fatal("request is not chunked")
		}
		return do(t, req)
	}
	if status, body := post(`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`); status != http.StatusOK || !strings.Contains(string(body), `"result":0`) {
		t.Fatalf("small chunked body: %d %s", status, body)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"submitblock","params":["` + strings.Repeat("00", 100<<10) + `"]}`
	status, body := post(big)
	if status != http.StatusOK {
		t.Fatalf("large chunked body: %d %s", status, body)
	}
	if e, _ := decodeError(t, body); e.Code != CodeDecode {
		t.Fatalf("large chunked body: %v", e)
	}
	over := `{"jsonrpc":"2.0","id":1,"method":"submitblock","params":["` + strings.Repeat("00", int(n.srv.cfg.MaxBodyBytes)/2) + `"]}`
	if status, body := post(over); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunked body: %d %.200s", status, body)
	}
	if avail := n.srv.bodyBytes.TryAcquire(n.srv.cfg.MaxBodyMemory); !avail {
		t.Fatal("byte budget not fully returned")
	}
	n.srv.bodyBytes.Release(n.srv.cfg.MaxBodyMemory)
}

// TestInvalidUTF8ID sends ids that are not valid UTF-8, as raw bytes: the
// answer must be valid JSON, refusing the request with id null.
func TestInvalidUTF8ID(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	body := "{\"jsonrpc\":\"2.0\",\"id\":\"a\xff\xfeb\",\"method\":\"getblockcount\"}"
	status, resp := n.post(http.MethodPost, body)
	if status != http.StatusOK || !utf8.Valid(resp) || !json.Valid(resp) {
		t.Fatalf("status %d, body not valid JSON: %q", status, resp)
	}
	e, id := decodeError(t, resp)
	if e.Code != CodeInvalidRequest || string(id) != "null" {
		t.Fatalf("got %v with id %s", e, id)
	}
	// In a batch, only the bad element is refused; the good id is echoed.
	batch := "[{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\x28\",\"method\":\"getblockcount\"},{\"jsonrpc\":\"2.0\",\"id\":\"ok\",\"method\":\"getblockcount\"}]"
	status, resp = n.post(http.MethodPost, batch)
	if status != http.StatusOK || !utf8.Valid(resp) || !json.Valid(resp) {
		t.Fatalf("status %d, batch answer not valid JSON: %q", status, resp)
	}
	if got, want := compactJSON(t, resp), `[{"jsonrpc":"2.0","error":{"code":-32600,"message":"invalid request: id is not valid UTF-8"},"id":null},{"jsonrpc":"2.0","result":0,"id":"ok"}]`; got != want {
		t.Fatalf("batch answer\n got %s\nwant %s", got, want)
	}
	// Valid non-ASCII ids are echoed unchanged.
	status, resp = n.post(http.MethodPost, `{"jsonrpc":"2.0","id":"é✓","method":"getblockcount"}`)
	if status != http.StatusOK || compactJSON(t, resp) != `{"jsonrpc":"2.0","result":0,"id":"é✓"}` {
		t.Fatalf("status %d: %s", status, resp)
	}
}

// TestRawDataEscapes checks hex written with JSON escapes is decoded like
// plain hex: "\u0030\u0030" is "00", a truncated tx.
func TestRawDataEscapes(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	status, resp := n.post(http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["\u0030\u0030"]}`)
	e, _ := decodeError(t, resp)
	if status != http.StatusOK || e.Code != CodeDecode || strings.Contains(e.Message, "not hex") {
		t.Fatalf("status %d: %v", status, e)
	}
}
