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

// Watch subscribes to topics on node i's websocket and calls fn with each
// notification, stamped on receipt, until ctx ends, reconnecting (every
// retry) while the node is down or restarting. up, if not nil, is told
// each time the subscriptions are live.
func (n *Network) Watch(ctx context.Context, i int, retry time.Duration, topics []string, up func(), fn func(topic string, result json.RawMessage, at time.Time)) {
	for ctx.Err() == nil {
		n.watchOnce(ctx, i, topics, up, fn)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

func (n *Network) watchOnce(ctx context.Context, i int, topics []string, up func(), fn func(string, json.RawMessage, time.Time)) {
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
	for _, topic := range topics {
		var sub string
		if err := ws.Call(dctx, "subscribe", []any{topic}, &sub); err != nil {
			return
		}
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
			fn(note.Topic, note.Result, time.Now()) // one machine, one clock
		}
	}
}

// WatchTips is Watch of the newtips topic, decoded.
func (n *Network) WatchTips(ctx context.Context, i int, retry time.Duration, up func(), fn func(TipEvent)) {
	n.Watch(ctx, i, retry, []string{rpc.TopicNewTips}, up, func(_ string, result json.RawMessage, at time.Time) {
		if tip, ok := DecodeTip(result); ok {
			tip.Node, tip.At = i, at
			fn(tip)
		}
	})
}

// DecodeTip decodes a newtips notification's result.
func DecodeTip(result json.RawMessage) (TipEvent, bool) {
	var tip TipEvent
	if json.Unmarshal(result, &tip) != nil {
		return TipEvent{}, false
	}
	return tip, true
}
