package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/coder/websocket"
)

// dialWS opens an authenticated websocket to n's RPC port.
func (n *testNode) dialWS(t testing.TB) *WSClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := DialWS(ctx, n.client.URL, n.client.User, n.client.Password)
	if err != nil {
		t.Fatalf("dial websocket: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func subscribe(t testing.TB, cl *WSClient, topic, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := cl.Subscribe(ctx, topic, addr)
	if err != nil {
		t.Fatalf("subscribe %s %s: %v", topic, addr, err)
	}
	return id
}

// next waits for the next notification; generous for a loaded machine.
func next(t testing.TB, cl *WSClient) Notification {
	t.Helper()
	select {
	case n, ok := <-cl.Notifications():
		if !ok {
			t.Fatalf("websocket closed while waiting for a notification: %v", cl.Err())
		}
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no notification within 30s")
	}
	return Notification{}
}

func tipOf(t testing.TB, n Notification) tipJSON {
	t.Helper()
	var tip tipJSON
	if n.Topic != TopicNewTips || json.Unmarshal(n.Result, &tip) != nil {
		t.Fatalf("not a newtips notification: %+v", n)
	}
	return tip
}

// genNode is a node on a chaintest network, so blocks (and side branches)
// can be built offline and fed to the chain.
func genNode(t testing.TB, opts nodeOptions) (*testNode, *chaintest.Gen) {
	t.Helper()
	g := chaintest.MustNew(chaintest.Options{Name: "wstest"})
	opts.params = g.Params
	return newTestNode(t, opts), g
}

func mustMain(t testing.TB, n *testNode, blocks ...*chaintest.Block) {
	t.Helper()
	for _, b := range blocks {
		main, orphan, err := n.chain.ProcessBlock(b.Block)
		if err != nil || !main || orphan {
			t.Fatalf("block %s: main=%v orphan=%v err=%v", b.Name, main, orphan, err)
		}
	}
}

// TestWSTipsInOrderWithReorg: connects arrive in order, and a reorg shows
// as the old branch's disconnects (tip first) then the new branch's connects.
func TestWSTipsInOrderWithReorg(t *testing.T) {
	n, g := genNode(t, nodeOptions{})
	cl := n.dialWS(t)
	sub := subscribe(t, cl, TopicNewTips, "")

	a1 := g.NextBlock("a1", "genesis")
	a2 := g.NextBlock("a2", "a1")
	a3 := g.NextBlock("a3", "a2")
	b2 := g.NextBlock("b2", "a1", chaintest.Timestamp(a2.Block.Header.Timestamp+1))
	b3 := g.NextBlock("b3", "b2")
	b4 := g.NextBlock("b4", "b3")
	mustMain(t, n, a1, a2, a3)
	// The side branch arrives headers first, as sync delivers it.
	hs := []consensus.Header{b2.Block.Header, b3.Block.Header, b4.Block.Header}
	if _, err := n.chain.ProcessHeaders(hs); err != nil {
		t.Fatalf("side headers: %v", err)
	}
	for _, b := range []*chaintest.Block{b2, b3, b4} {
		if _, _, err := n.chain.ProcessBlock(b.Block); err != nil {
			t.Fatalf("side block %s: %v", b.Name, err)
		}
	}
	if tip := n.chain.Tip(); tip.Hash != b4.Hash {
		t.Fatalf("tip %s at %d, want b4 after the reorg", tip.Hash, tip.Height)
	}
	want := []struct {
		event string
		b     *chaintest.Block
	}{{"connected", a1}, {"connected", a2}, {"connected", a3},
		{"disconnected", a3}, {"disconnected", a2},
		{"connected", b2}, {"connected", b3}, {"connected", b4}}
	for i, w := range want {
		note := next(t, cl)
		tip := tipOf(t, note)
		if note.Subscription != sub || tip.Event != w.event || tip.Hash != w.b.Hash.String() || tip.Height != w.b.Height {
			t.Fatalf("event %d: got %s %d %s (sub %s), want %s %d %s (%s)", i, tip.Event, tip.Height, tip.Hash, note.Subscription, w.event, w.b.Height, w.b.Hash, w.b.Name)
		}
	}
	// Ordinary calls work on the same socket.
	var height uint64
	if err := cl.Call(context.Background(), "getblockcount", nil, &height); err != nil || height != 4 {
		t.Fatalf("getblockcount over websocket: %d, %v", height, err)
	}
	// After unsubscribe, nothing more arrives for it.
	if err := cl.Call(context.Background(), "unsubscribe", []any{sub}, nil); err != nil {
		t.Fatalf("unsubscribe: %v", err)
	}
	err := cl.Call(context.Background(), "unsubscribe", []any{sub}, nil)
	rpcError(t, err, CodeInvalidParameter)
	mustMain(t, n, g.NextBlock("b5", "b4"))
	if err := cl.Call(context.Background(), "getblockcount", nil, &height); err != nil || height != 5 {
		t.Fatalf("getblockcount: %d, %v", height, err)
	}
	select {
	case note := <-cl.Notifications():
		t.Fatalf("notification after unsubscribe: %+v", note)
	default:
	}
}

// TestWSAddressPendingThenConfirmed: an address subscription sees a payment
// in the mempool, then in its block; the mempool topic sees it too.
func TestWSAddressPendingThenConfirmed(t *testing.T) {
	n, g := genNode(t, nodeOptions{})
	hrp := n.params.AddressHRP
	payer := g.Keys[0]
	payee := keyAddr(testKey("payee"))
	cl := n.dialWS(t)
	inSub := subscribe(t, cl, TopicAddress, payee.Encode(hrp))
	outSub := subscribe(t, cl, TopicAddress, payer.Addr.Encode(hrp))
	poolSub := subscribe(t, cl, TopicMempool, "")

	_, raw := signedTransfer(t, n.params, payer.Priv, 0, payee, 5*consensus.Coin, n.params.MinTxFee)
	var txid string
	n.must("sendrawtransaction", []any{raw}, &txid)
	got := map[string]addressEventJSON{}
	var pooled poolTxJSON
	for range 3 {
		note := next(t, cl)
		switch note.Subscription {
		case poolSub:
			if err := json.Unmarshal(note.Result, &pooled); err != nil {
				t.Fatal(err)
			}
		case inSub, outSub:
			var ev addressEventJSON
			if err := json.Unmarshal(note.Result, &ev); err != nil {
				t.Fatal(err)
			}
			got[note.Subscription] = ev
		default:
			t.Fatalf("unexpected %+v", note)
		}
	}
	if pooled.TxID != txid || pooled.Amount != 5*consensus.Coin || pooled.From != payer.Addr.Encode(hrp) {
		t.Fatalf("mempool notification %+v", pooled)
	}
	if in := got[inSub]; in.Event != "mempool" || in.Direction != "incoming" || in.TxID != txid || in.Amount != 5*consensus.Coin {
		t.Fatalf("payee pending %+v", in)
	}
	if out := got[outSub]; out.Event != "mempool" || out.Direction != "outgoing" || out.TxID != txid {
		t.Fatalf("payer pending %+v", out)
	}

	var hashes []string
	n.must("generatetoaddress", []any{1, keyAddr(testKey("miner")).Encode(hrp)}, &hashes)
	got = map[string]addressEventJSON{}
	for range 2 {
		note := next(t, cl)
		var ev addressEventJSON
		if err := json.Unmarshal(note.Result, &ev); err != nil || note.Topic != TopicAddress {
			t.Fatalf("want an address notification, got %+v", note)
		}
		got[note.Subscription] = ev
	}
	for _, sub := range []string{inSub, outSub} {
		if ev := got[sub]; ev.Event != "connected" || ev.TxID != txid || ev.Height != 1 || ev.BlockHash != hashes[0] {
			t.Fatalf("confirmed %+v, want connected in %s at 1", ev, hashes[0])
		}
	}
}

// TestWSSlowClientDropped: a client that never reads is dropped with a
// reason once its queue fills, while the chain keeps connecting blocks and
// a reading client gets every event.
func TestWSSlowClientDropped(t *testing.T) {
	const queue, subs, blocks = 128, 64, 200
	n, g := genNode(t, nodeOptions{hub: HubConfig{QueueLen: queue}})
	good := n.dialWS(t)
	subscribe(t, good, TopicNewTips, "")

	// The slow client's receive buffer is tiny, so the server's socket
	// buffers fill after a few thousand messages rather than megabytes.
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	hdr := http.Header{}
	hdr.Set("Authorization", basicAuth(n.client.User, n.client.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, "ws://"+n.srv.Addr()+"/", &websocket.DialOptions{
		HTTPHeader: hdr, HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	for i := range subs {
		msg := fmt.Sprintf(`{"jsonrpc":"2.0","method":"subscribe","params":["newtips"],"id":%d}`, i)
		if err := slow.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for n.hub.Stats().Subscriptions < subs+1 {
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions %d, want %d", n.hub.Stats().Subscriptions, subs+1)
		}
		time.Sleep(5 * time.Millisecond)
	}

	var slowest time.Duration
	prev := "genesis"
	for i := range blocks {
		b := g.NextBlock(fmt.Sprint("m", i), prev)
		prev = b.Name
		start := time.Now()
		mustMain(t, n, b)
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("%d blocks connected while a client stalled; slowest ProcessBlock %v", blocks, slowest)
	deadline = time.Now().Add(30 * time.Second)
	for n.hub.Stats().Dropped == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("slow client not dropped: %+v", n.hub.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Now read: what was queued, then the close with its reason.
	var cerr websocket.CloseError
	for {
		_, _, err := slow.Read(ctx)
		if err == nil {
			continue
		}
		if !errors.As(err, &cerr) {
			t.Fatalf("slow client ended with %v, want a close frame with a reason", err)
		}
		break
	}
	if cerr.Code != websocket.StatusPolicyViolation || !strings.Contains(cerr.Reason, "too slow") {
		t.Fatalf("close %d %q, want 1008 and a 'too slow' reason", cerr.Code, cerr.Reason)
	}
	// The reading client got every connect, in order.
	for i := range blocks {
		tip := tipOf(t, next(t, good))
		if tip.Event != "connected" || tip.Height != uint64(i+1) {
			t.Fatalf("good client event %d: %+v", i, tip)
		}
	}
	if st := n.hub.Stats(); st.Subscriptions != 1 || st.Dropped != 1 {
		t.Fatalf("after the drop: %+v, want 1 subscription and 1 drop", st)
	}
}

func basicAuth(user, pass string) string {
	r, _ := http.NewRequest("GET", "http://x/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}
