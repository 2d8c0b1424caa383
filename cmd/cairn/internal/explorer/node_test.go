package explorer

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/rpc"
)

// testNode is a real chain, pool, miner and notification hub behind a real
// RPC server and explorer on 127.0.0.1, wired as the node wires them.
type testNode struct {
	t      testing.TB
	params *consensus.Params
	keys   []*chaintest.Key
	chain  *chain.Chain
	rpc    *rpc.Server
	client *rpc.Client
	ex     *Server
	url    string // the explorer's base URL
}

func newTestNode(t testing.TB) *testNode {
	t.Helper()
	p, keys, err := chaintest.NewParams(chaintest.Options{Name: "explorertest", Keys: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, err := chain.Open(chain.Config{Dir: filepath.Join(dir, "chain"), Params: p, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	hub := rpc.NewHub(rpc.HubConfig{Params: p})
	pool := mempool.New(mempool.Config{Params: p, State: c, OnAccept: hub.TxAccepted})
	c.Subscribe(func(ev chain.Event) {
		if ev.Kind == chain.BlockConnected {
			pool.BlockConnected(ev.Block)
		} else {
			pool.BlockDisconnected(ev.Block)
		}
	})
	c.Subscribe(hub.ChainEvent)
	srv, err := rpc.New(rpc.Config{Addr: "127.0.0.1:0", DataDir: dir, Hub: hub,
		Backend: rpc.Backend{Params: p, Chain: c, Mempool: pool, Miner: miner.New(miner.Config{Chain: c, Source: pool, Threads: 1}), StartTime: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	user, pass, err := rpc.ReadCookie(dir)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := New(Config{Addr: "127.0.0.1:0", API: srv.PublicHandler(), Authorized: srv.Authorized})
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ex.Shutdown(ctx)
		srv.Shutdown(ctx)
		c.Close()
	})
	return &testNode{t: t, params: p, keys: keys, chain: c, rpc: srv, ex: ex, url: "http://" + ex.Addr(),
		client: &rpc.Client{URL: "http://" + srv.Addr() + "/", User: user, Password: pass}}
}

func (n *testNode) must(method string, params any, result any) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n.client.Call(ctx, method, params, result); err != nil {
		n.t.Fatalf("%s: %v", method, err)
	}
}

// mine mines n blocks to addr and returns their hashes.
func (n *testNode) mine(count int, addr consensus.Address) []string {
	var hashes []string
	n.must("generatetoaddress", []any{count, addr.Encode(n.params.AddressHRP)}, &hashes)
	return hashes
}

// pay sends amount from funded key i to to, returning the txid.
func (n *testNode) pay(i int, nonce uint64, to consensus.Address, amount uint64) string {
	n.t.Helper()
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: n.params.ChainID, Nonce: nonce, To: to, Amount: amount, Fee: n.params.MinTxFee}
	if err := tx.Sign(n.keys[i].Priv); err != nil {
		n.t.Fatal(err)
	}
	var id string
	n.must("sendrawtransaction", []any{hex.EncodeToString(tx.Encode())}, &id)
	return id
}
