package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSingleRequestShapes posts malformed and valid single requests and
// checks status, error code and echoed id.
func TestSingleRequestShapes(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	cases := []struct {
		name string
		body string
		code int    // 0: success expected
		id   string // echoed id, compact JSON
	}{
		{"parse error", `{"jsonrpc":"2.0","method":`, CodeParseError, "null"},
		{"empty body", ``, CodeParseError, "null"},
		{"number body", `42`, CodeInvalidRequest, "null"},
		{"string body", `"getblockcount"`, CodeInvalidRequest, "null"},
		{"missing version", `{"method":"getblockcount","id":1}`, CodeInvalidRequest, "1"},
		{"wrong version", `{"jsonrpc":"1.0","method":"getblockcount","id":"a"}`, CodeInvalidRequest, `"a"`},
		{"missing method", `{"jsonrpc":"2.0","id":2}`, CodeInvalidRequest, "2"},
		{"numeric method", `{"jsonrpc":"2.0","method":5,"id":3}`, CodeInvalidRequest, "3"},
		{"string params", `{"jsonrpc":"2.0","method":"getblockhash","params":"0","id":4}`, CodeInvalidRequest, "4"},
		{"object id", `{"jsonrpc":"2.0","method":"getblockcount","id":{}}`, CodeInvalidRequest, "null"},
		{"unknown method", `{"jsonrpc":"2.0","method":"nope","id":5}`, CodeMethodNotFound, "5"},
		{"positional", `{"jsonrpc":"2.0","method":"getblockhash","params":[0],"id":6}`, 0, "6"},
		{"named", `{"jsonrpc":"2.0","method":"getblockhash","params":{"height":0},"id":"x"}`, 0, `"x"`},
		{"null params", `{"jsonrpc":"2.0","method":"getblockcount","params":null,"id":7.5}`, 0, "7.5"},
		{"null id", `{"jsonrpc":"2.0","method":"getblockcount","id":null}`, 0, "null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := n.post(http.MethodPost, tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d, body %s", status, body)
			}
			var r struct {
				Result json.RawMessage `json:"result"`
				Error  *Error          `json:"error"`
				ID     json.RawMessage `json:"id"`
			}
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if got := compactJSON(t, r.ID); got != tc.id {
				t.Errorf("id %s, want %s", got, tc.id)
			}
			switch {
			case tc.code == 0 && r.Error != nil:
				t.Errorf("unexpected error %v", r.Error)
			case tc.code == 0 && r.Result == nil:
				t.Errorf("no result in %s", body)
			case tc.code != 0 && (r.Error == nil || r.Error.Code != tc.code):
				t.Errorf("want code %d, got %s", tc.code, body)
			}
		})
	}
}

func TestBatchAndNotifications(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	t.Run("mixed batch", func(t *testing.T) {
		status, body := n.post(http.MethodPost, `[
			{"jsonrpc":"2.0","method":"getblockcount","id":1},
			{"jsonrpc":"2.0","method":"getblockcount"},
			5,
			{"jsonrpc":"2.0","method":"nope","id":"x"},
			{"jsonrpc":"2.0","method":"nope"},
			{"jsonrpc":"2.0","method":"getblockhash","params":["a"],"id":3},
			{"foo":"bar"}
		]`)
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		var rs []struct {
			Result json.RawMessage `json:"result"`
			Error  *Error          `json:"error"`
			ID     json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(body, &rs); err != nil {
			t.Fatalf("batch answer is not an array: %s", body)
		}
		want := []struct {
			id   string
			code int
		}{{"1", 0}, {"null", CodeInvalidRequest}, {`"x"`, CodeMethodNotFound}, {"3", CodeInvalidParams}, {"null", CodeInvalidRequest}}
		if len(rs) != len(want) {
			t.Fatalf("got %d responses, want %d: %s", len(rs), len(want), body)
		}
		for i, w := range want {
			if got := compactJSON(t, rs[i].ID); got != w.id {
				t.Errorf("response %d: id %s, want %s", i, got, w.id)
			}
			if w.code == 0 && (rs[i].Error != nil || string(rs[i].Result) != "0") {
				t.Errorf("response %d: want result 0, got %+v", i, rs[i])
			}
			if w.code != 0 && (rs[i].Error == nil || rs[i].Error.Code != w.code) {
				t.Errorf("response %d: want code %d, got %+v", i, w.code, rs[i].Error)
			}
		}
	})
	t.Run("empty batch", func(t *testing.T) {
		_, body := n.post(http.MethodPost, `[]`)
		if e, _ := decodeError(t, body); e.Code != CodeInvalidRequest {
			t.Fatalf("code %d", e.Code)
		}
	})
	for name, body := range map[string]string{
		"single notification":  `{"jsonrpc":"2.0","method":"getblockcount"}`,
		"unknown notification": `{"jsonrpc":"2.0","method":"nope","params":[1]}`,
		"notification batch":   `[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"uptime"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			status, b := n.post(http.MethodPost, body)
			if status != http.StatusNoContent || len(b) != 0 {
				t.Fatalf("status %d body %q, want 204 and no body", status, b)
			}
		})
	}
	t.Run("oversized batch", func(t *testing.T) {
		calls := make([]string, maxBatch+1)
		for i := range calls {
			calls[i] = `{"jsonrpc":"2.0","method":"uptime","id":1}`
		}
		_, body := n.post(http.MethodPost, "["+strings.Join(calls, ",")+"]")
		if e, _ := decodeError(t, body); e.Code != CodeInvalidRequest {
			t.Fatalf("code %d", e.Code)
		}
	})
}

func TestHTTPLimits(t *testing.T) {
	n := newTestNode(t, nodeOptions{setup: func(s *Server) {
		s.methods["boom"] = &method{name: "boom", fn: func(context.Context, *args) (any, error) { panic("boom") }}
	}})
	t.Run("GET", func(t *testing.T) {
		status, body := n.post(http.MethodGet, "")
		if status != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", status)
		}
		decodeError(t, body)
	})
	t.Run("body limit", func(t *testing.T) {
		big := `{"jsonrpc":"2.0","method":"submitblock","params":["` + strings.Repeat("00", int(DefaultMaxBody(n.params)/2)+1) + `"],"id":1}`
		status, body := n.post(http.MethodPost, big)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", status)
		}
		if e, _ := decodeError(t, body); e.Code != CodeInvalidRequest {
			t.Fatalf("code %d", e.Code)
		}
	})
	t.Run("panic", func(t *testing.T) {
		rpcError(t, n.call("boom", nil, nil), CodeInternal)
		n.must("getblockcount", nil, nil) // still serving
	})
}

// TestBusy fills the only request slot and checks the next request is
// refused with a JSON-RPC error rather than queued forever.
func TestBusy(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	n := newTestNode(t, nodeOptions{
		config: func(c *Config) { c.MaxConcurrent = 1 },
		setup: func(s *Server) {
			s.busyWait = 50 * time.Millisecond
			s.methods["block"] = &method{name: "block", fn: func(context.Context, *args) (any, error) {
				close(entered)
				<-release
				return true, nil
			}}
		},
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.call("block", nil, nil); err != nil {
			t.Errorf("blocking call: %v", err)
		}
	}()
	<-entered
	status, body := n.post(http.MethodPost, `{"jsonrpc":"2.0","method":"uptime","id":1}`)
	close(release)
	wg.Wait()
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d", status)
	}
	if e, _ := decodeError(t, body); e.Code != CodeInternal || !strings.Contains(e.Message, "busy") {
		t.Fatalf("error %+v", e)
	}
	n.must("uptime", nil, nil)
}

// fakeNetwork is a NetworkAPI with one peer.
type fakeNetwork struct {
	mu     sync.Mutex
	added  []string
	banned map[string]time.Duration
}

func (f *fakeNetwork) Ban(id string, d time.Duration, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.banned == nil {
		f.banned = map[string]time.Duration{}
	}
	f.banned[id] = d
	return nil
}
func (f *fakeNetwork) Unban(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.banned[id]; !ok {
		return context.Canceled
	}
	delete(f.banned, id)
	return nil
}
func (f *fakeNetwork) Banned() []BanInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []BanInfo
	for id, d := range f.banned {
		out = append(out, BanInfo{ID: id, Until: time.Unix(1000, 0).Add(d), Reason: "setban"})
	}
	return out
}
func (f *fakeNetwork) ClearBans() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.banned = nil
}

func (f *fakeNetwork) Peers() []PeerInfo {
	return []PeerInfo{{ID: "peer1", Addrs: []string{"/ip4/10.0.0.1/tcp/9633"}, Direction: "outbound", BestHeight: 7, ConnectedSince: time.Unix(100, 0)}}
}
func (f *fakeNetwork) ConnectionCount() int { return 1 }
func (f *fakeNetwork) Info() NetworkInfo {
	return NetworkInfo{PeerID: "me", ListenAddrs: []string{"/ip4/0.0.0.0/tcp/9633"}, Protocol: "/cairn/1"}
}
func (f *fakeNetwork) AddNode(_ context.Context, a string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, a)
	return nil
}
func (f *fakeNetwork) DisconnectNode(id string) error {
	if id != "peer1" {
		return context.Canceled
	}
	return nil
}

func TestNetworkMethods(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		n := newTestNode(t, nodeOptions{})
		var count int
		n.must("getconnectioncount", nil, &count)
		var peers []any
		n.must("getpeerinfo", nil, &peers)
		var info networkInfoJSON
		n.must("getnetworkinfo", nil, &info)
		if count != 0 || peers == nil || len(peers) != 0 || info.NetworkActive {
			t.Fatalf("count %d peers %v info %+v", count, peers, info)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		fn := &fakeNetwork{}
		n := newTestNode(t, nodeOptions{network: fn})
		var peers []peerJSON
		n.must("getpeerinfo", nil, &peers)
		if len(peers) != 1 || peers[0].ID != "peer1" || peers[0].BestHeight != 7 || peers[0].ConnectedSince != 100 {
			t.Fatalf("peers %+v", peers)
		}
		var info networkInfoJSON
		n.must("getnetworkinfo", nil, &info)
		if info.PeerID != "me" || info.Connections != 1 || !info.NetworkActive {
			t.Fatalf("info %+v", info)
		}
		n.must("addnode", map[string]any{"multiaddr": "/ip4/1.2.3.4/tcp/1"}, nil)
		fn.mu.Lock()
		added := len(fn.added)
		fn.mu.Unlock()
		if added != 1 {
			t.Fatalf("added %d nodes, want 1", added)
		}
		n.must("disconnectnode", []any{"peer1"}, nil)
		rpcError(t, n.call("disconnectnode", []any{"peer2"}, nil), CodeNodeNotConnected)

		n.must("setban", []any{"peer1", "add", 60}, nil)
		var bans []banJSON
		n.must("listbanned", nil, &bans)
		if len(bans) != 1 || bans[0].ID != "peer1" || bans[0].BannedUntil != 1060 {
			t.Fatalf("bans %+v", bans)
		}
		rpcError(t, n.call("setban", []any{"peer1", "ban"}, nil), CodeInvalidParameter)
		rpcError(t, n.call("setban", []any{"peer1", "add", 0}, nil), CodeInvalidParameter)
		rpcError(t, n.call("setban", []any{"peer9", "remove"}, nil), CodeInvalidParameter)
		n.must("setban", []any{"peer1", "remove"}, nil)
		n.must("setban", []any{"peer2", "add"}, nil)
		n.must("clearbanned", nil, nil)
		n.must("listbanned", nil, &bans)
		if len(bans) != 0 {
			t.Fatalf("bans after clearbanned: %+v", bans)
		}
	})
}
