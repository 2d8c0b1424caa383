package testnet

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cairn-chain/cairn/rpc"
)

// TipEvent is one newtips notification from one node, stamped when this
// process received it. Nodes and watcher share one machine and clock, so
// stamps from different nodes compare: that is how propagation is timed.
type TipEvent struct {
	Node   int       `json:"node"`
	Event  string    `json:"event"` // "connected" or "disconnected"
	Height uint64    `json:"height"`
	Hash   string    `json:"hash"`
	NTx    int       `json:"ntx"`
	At     time.Time `json:"at"`
}

// WatchTips subscribes to node i's websocket newtips and calls fn for each
// event until ctx ends, reconnecting (every retry) while the node is down
// or restarting. up, if not nil, is told when the subscription is live.
func (n *Network) WatchTips(ctx context.Context, i int, retry time.Duration, up func(), fn func(TipEvent)) {
	for ctx.Err() == nil {
		n.watchTipsOnce(ctx, i, up, fn)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

func (n *Network) watchTipsOnce(ctx context.Context, i int, up func(), fn func(TipEvent)) {
	cl, err := n.Client(i)
	if err != nil {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ws, err := rpc.DialWS(dctx, cl.URL, cl.User, cl.Password)
	if err != nil {
		return
	}
	defer ws.Close()
	var sub string
	if err := ws.Call(dctx, "subscribe", []any{rpc.TopicNewTips}, &sub); err != nil {
		return
	}
	if up != nil {
		up()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case note, ok := <-ws.Notifications():
			if !ok {
				return
			}
			at := time.Now()
			var tip struct {
				Event  string `json:"event"`
				Height uint64 `json:"height"`
				Hash   string `json:"hash"`
				NTx    int    `json:"ntx"`
			}
			if json.Unmarshal(note.Result, &tip) == nil {
				fn(TipEvent{Node: i, Event: tip.Event, Height: tip.Height, Hash: tip.Hash, NTx: tip.NTx, At: at})
			}
		}
	}
}
