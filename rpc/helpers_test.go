package rpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/wallet"
)

// testNode is a real chain, pool, miner and wallet behind a real HTTP
// server on 127.0.0.1:0, as the node wires them.
type testNode struct {
	t       testing.TB
	params  *consensus.Params
	dir     string
	chain   *chain.Chain
	pool    *mempool.Pool
	hub     *Hub
	srv     *Server
	client  *Client
	stopped chan struct{}
}

type nodeOptions struct {
	params  *consensus.Params
	pool    mempool.Config
	config  func(*Config)
	setup   func(*Server) // runs before Start, so handlers see its changes
	network NetworkAPI
	hub     HubConfig // QueueLen and MaxSubs for the node's notification hub
	// onEvent, if set, is subscribed to the chain before the hub.
	onEvent func(chain.Event)
}

func newTestNode(t testing.TB, opts nodeOptions) *testNode {
	t.Helper()
	p := opts.params
	if p == nil {
		p = consensus.RegtestParams()
	}
	dir := t.TempDir()
	c, err := chain.Open(chain.Config{Dir: filepath.Join(dir, "chain"), Params: p, NoSync: true})
	if err != nil {
		t.Fatalf("open chain: %v", err)
	}
	hc := opts.hub
	hc.Params = p
	hub := NewHub(hc)
	pc := opts.pool
	pc.Params, pc.State = p, c
	onAccept := pc.OnAccept
	pc.OnAccept = func(tx *consensus.Tx) {
		if onAccept != nil {
			onAccept(tx)
		}
		hub.TxAccepted(tx)
	}
	pool := mempool.New(pc)
	c.Subscribe(func(ev chain.Event) {
		switch ev.Kind {
		case chain.BlockConnected:
			pool.BlockConnected(ev.Block)
		case chain.BlockDisconnected:
			pool.BlockDisconnected(ev.Block)
		}
	})
	if opts.onEvent != nil {
		c.Subscribe(opts.onEvent)
	}
	c.Subscribe(hub.ChainEvent) // after the pool, as the node wires it
	wl := NewWalletLoader(wallet.Config{Dir: filepath.Join(dir, "wallet"), Params: p, KDF: wallet.KDFParams{N: 16, R: 1, P: 1}})
	n := &testNode{t: t, params: p, dir: dir, chain: c, pool: pool, hub: hub, stopped: make(chan struct{})}
	cfg := Config{
		Addr: "127.0.0.1:0", DataDir: dir, Hub: hub,
		Backend: Backend{
			Params: p, Chain: c, Mempool: pool, Wallet: wl, Network: opts.network,
			Miner:     miner.New(miner.Config{Chain: c, Source: pool, Threads: 1}),
			Stop:      func() { close(n.stopped) },
			StartTime: time.Now(),
		},
	}
	if opts.config != nil {
		opts.config(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("rpc.New: %v", err)
	}
	if opts.setup != nil {
		opts.setup(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	n.srv = srv
	user, pass := cfg.User, cfg.Password
	if user == "" {
		if user, pass, err = ReadCookie(dir); err != nil {
			t.Fatalf("read cookie: %v", err)
		}
	}
	n.client = &Client{URL: "http://" + srv.Addr() + "/", User: user, Password: pass}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		wl.Close()
		c.Close()
	})
	return n
}

// call invokes method through the client.
func (n *testNode) call(method string, params any, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return n.client.Call(ctx, method, params, result)
}

// must invokes method and fails the test on error.
func (n *testNode) must(method string, params any, result any) {
	n.t.Helper()
	if err := n.call(method, params, result); err != nil {
		n.t.Fatalf("%s %v: %v", method, params, err)
	}
}

// post sends a raw body with valid credentials.
func (n *testNode) post(httpMethod, body string) (int, []byte) {
	n.t.Helper()
	req, err := http.NewRequest(httpMethod, n.client.URL, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	req.SetBasicAuth(n.client.User, n.client.Password)
	return do(n.t, req)
}

func do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// rpcError asserts err is an *Error with code and returns it.
func rpcError(t testing.TB, err error, code int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want rpc error %d, got %v", code, err)
	}
	if e.Code != code {
		t.Fatalf("want code %d, got %d: %s", code, e.Code, e.Message)
	}
	return e
}

// decodeError asserts body is one JSON-RPC error response and returns it.
func decodeError(t testing.TB, body []byte) (*Error, json.RawMessage) {
	t.Helper()
	var r struct {
		JSONRPC string          `json:"jsonrpc"`
		Error   *Error          `json:"error"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, body)
	}
	if r.JSONRPC != "2.0" || r.Error == nil || r.Result != nil {
		t.Fatalf("not a JSON-RPC error response: %s", body)
	}
	return r.Error, r.ID
}

// testKey derives a deterministic key from seed.
func testKey(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

func keyAddr(k *btcec.PrivateKey) consensus.Address {
	var pub [32]byte
	copy(pub[:], schnorr.SerializePubKey(k.PubKey()))
	return consensus.AddressFromPubKey(pub)
}

// signedTransfer returns a signed transfer from k, hex encoded.
func signedTransfer(t testing.TB, p *consensus.Params, k *btcec.PrivateKey, nonce uint64, to consensus.Address, amount, fee uint64) (*consensus.Tx, string) {
	t.Helper()
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, Nonce: nonce, To: to, Amount: amount, Fee: fee}
	if err := tx.Sign(k); err != nil {
		t.Fatal(err)
	}
	return tx, hex.EncodeToString(tx.Encode())
}

// solve finds a nonce for a regtest header (about every second hash works).
func solve(t testing.TB, p *consensus.Params, b *consensus.Block) {
	t.Helper()
	for i := 0; i < 1<<20; i++ {
		if consensus.CheckProofOfWork(b.Hash(), b.Header.Bits, p.PowLimit) == nil {
			return
		}
		b.Header.Nonce++
	}
	t.Fatal("no nonce found")
}

// template fetches getblocktemplate's unsolved block paying addr.
func (n *testNode) template(addr consensus.Address) *consensus.Block {
	n.t.Helper()
	var tmpl struct {
		BlockHex string `json:"blockhex"`
	}
	n.must("getblocktemplate", []any{addr.Encode(n.params.AddressHRP)}, &tmpl)
	raw, err := hex.DecodeString(tmpl.BlockHex)
	if err != nil {
		n.t.Fatal(err)
	}
	b, err := consensus.DecodeBlock(raw)
	if err != nil {
		n.t.Fatal(err)
	}
	return b
}

func blockHex(b *consensus.Block) string { return hex.EncodeToString(b.Encode()) }

func compactJSON(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	return buf.String()
}
