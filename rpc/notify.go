package rpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

// Notification topics for subscribe.
const (
	TopicNewTips = "newtips" // every block connected or disconnected, in order
	TopicMempool = "mempool" // every tx the pool accepts
	TopicAddress = "address" // txs touching one address: pool, connected and disconnected blocks
)

// Defaults for HubConfig.
const (
	DefaultQueueLen      = 1024
	DefaultMaxSubsPerWS  = 256
	DefaultMaxWebSockets = 128
)

// HubConfig configures a Hub.
type HubConfig struct {
	Params *consensus.Params
	Logger *slog.Logger
	// QueueLen bounds the messages waiting to be written to one websocket
	// client; a client whose queue is full is dropped. Default DefaultQueueLen.
	QueueLen int
	// MaxSubs bounds the subscriptions of one client. Default DefaultMaxSubsPerWS.
	MaxSubs int
}

// Hub fans chain and mempool events out to websocket subscribers. Its
// inputs (ChainEvent, TxAccepted) only format and enqueue: they never wait
// for a client, so the chain and the pool are never held up by one.
type Hub struct {
	cfg HubConfig
	log *slog.Logger

	mu      sync.Mutex
	clients map[*wsClient]struct{}
	tips    []*subscription
	pool    []*subscription
	addrs   map[consensus.Address][]*subscription

	sent    atomic.Uint64
	dropped atomic.Uint64
}

// HubStats are lifetime counters, for metrics.
type HubStats struct {
	Clients       int
	Subscriptions int
	Sent          uint64 // notifications enqueued
	Dropped       uint64 // clients dropped for being too slow
}

type subscription struct {
	id    string
	topic string
	addr  consensus.Address
	c     *wsClient
}

// NewHub returns an empty hub. Feed it with chain.Subscribe(hub.ChainEvent)
// and the mempool's OnAccept hook calling TxAccepted.
func NewHub(cfg HubConfig) *Hub {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.MaxSubs <= 0 {
		cfg.MaxSubs = DefaultMaxSubsPerWS
	}
	return &Hub{cfg: cfg, log: cfg.Logger.With("component", "notify"),
		clients: map[*wsClient]struct{}{}, addrs: map[consensus.Address][]*subscription{}}
}

// Stats reports current clients and subscriptions and lifetime counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.tips) + len(h.pool)
	for _, subs := range h.addrs {
		n += len(subs)
	}
	return HubStats{Clients: len(h.clients), Subscriptions: n, Sent: h.sent.Load(), Dropped: h.dropped.Load()}
}

// tipJSON is a newtips notification.
type tipJSON struct {
	Event    string `json:"event"` // "connected" or "disconnected"
	Height   uint64 `json:"height"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prevhash"`
	Time     int64  `json:"time"`
	NTx      int    `json:"ntx"`
}

// poolTxJSON is a mempool notification.
type poolTxJSON struct {
	TxID   string `json:"txid"`
	From   string `json:"from"`
	To     string `json:"to"`
	Amount uint64 `json:"amount"`
	Fee    uint64 `json:"fee"`
	Nonce  uint64 `json:"nonce"`
	Size   int    `json:"size"`
}

// addressEventJSON is an address notification.
type addressEventJSON struct {
	Address   string `json:"address"`
	Event     string `json:"event"`     // "mempool", "connected" or "disconnected"
	Direction string `json:"direction"` // "incoming", "outgoing" or "self"
	TxID      string `json:"txid"`
	Kind      string `json:"kind"` // "transfer" or "coinbase"
	From      string `json:"from,omitempty"`
	To        string `json:"to"`
	Amount    uint64 `json:"amount"`
	Fee       uint64 `json:"fee"`
	Height    uint64 `json:"height,omitempty"`
	BlockHash string `json:"blockhash,omitempty"`
}

type notification struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  notifyParamJSON `json:"params"`
}

type notifyParamJSON struct {
	Subscription string          `json:"subscription"`
	Topic        string          `json:"topic"`
	Result       json.RawMessage `json:"result"`
}

func encodeNotification(sub *subscription, result json.RawMessage) []byte {
	b, _ := json.Marshal(notification{JSONRPC: "2.0", Method: "subscription",
		Params: notifyParamJSON{Subscription: sub.id, Topic: sub.topic, Result: result}})
	return b
}

// ChainEvent is a chain.Subscribe callback.
func (h *Hub) ChainEvent(ev chain.Event) {
	hrp := h.cfg.Params.AddressHRP
	tip := tipJSON{Event: ev.Kind.String(), Height: ev.Height, Hash: ev.Hash.String()}
	if ev.Block != nil {
		tip.PrevHash, tip.Time, tip.NTx = ev.Block.Header.PrevHash.String(), ev.Block.Header.Timestamp, len(ev.Block.Txs)
	}
	raw, _ := json.Marshal(tip)
	h.mu.Lock()
	defer h.mu.Unlock()
	var slow []*wsClient
	for _, s := range h.tips {
		if !h.enqueueLocked(s.c, encodeNotification(s, raw)) {
			slow = append(slow, s.c)
		}
	}
	if len(h.addrs) > 0 && ev.Block != nil {
		for _, tx := range ev.Block.Txs {
			slow = h.addressLocked(tx, ev.Kind.String(), ev.Height, ev.Hash.String(), hrp, slow)
		}
	}
	h.dropLocked(slow)
}

// TxAccepted is the mempool's OnAccept hook.
func (h *Hub) TxAccepted(tx *consensus.Tx) {
	hrp := h.cfg.Params.AddressHRP
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.pool) == 0 && len(h.addrs) == 0 {
		return
	}
	var slow []*wsClient
	if len(h.pool) > 0 {
		raw, _ := json.Marshal(poolTxJSON{TxID: tx.ID().String(), From: tx.Sender().Encode(hrp), To: tx.To.Encode(hrp),
			Amount: tx.Amount, Fee: tx.Fee, Nonce: tx.Nonce, Size: tx.EncodedSize()})
		for _, s := range h.pool {
			if !h.enqueueLocked(s.c, encodeNotification(s, raw)) {
				slow = append(slow, s.c)
			}
		}
	}
	slow = h.addressLocked(tx, "mempool", 0, "", hrp, slow)
	h.dropLocked(slow)
}

// addressLocked notifies the subscribers of tx's sender and recipient.
func (h *Hub) addressLocked(tx *consensus.Tx, event string, height uint64, block, hrp string, slow []*wsClient) []*wsClient {
	from := tx.Sender()
	isCoinbase := tx.IsCoinbase()
	targets := []consensus.Address{tx.To}
	if !isCoinbase && from != tx.To { // a coinbase has no sender; a payment to self is told once
		targets = append(targets, from)
	}
	for _, a := range targets {
		subs := h.addrs[a]
		if len(subs) == 0 {
			continue
		}
		ev := addressEventJSON{Address: a.Encode(hrp), Event: event, TxID: tx.ID().String(), Kind: "transfer",
			To: tx.To.Encode(hrp), Amount: tx.Amount, Fee: tx.Fee, Height: height, BlockHash: block}
		switch {
		case isCoinbase:
			ev.Kind, ev.Direction = "coinbase", "incoming"
		case from == tx.To:
			ev.Direction = "self"
		case a == tx.To:
			ev.Direction = "incoming"
		default:
			ev.Direction = "outgoing"
		}
		if !isCoinbase {
			ev.From = from.Encode(hrp)
		}
		raw, _ := json.Marshal(ev)
		for _, s := range subs {
			if !h.enqueueLocked(s.c, encodeNotification(s, raw)) {
				slow = append(slow, s.c)
			}
		}
	}
	return slow
}

// enqueueLocked queues msg for c without waiting; false means c's queue
// is full and c must be dropped.
func (h *Hub) enqueueLocked(c *wsClient, msg []byte) bool {
	select {
	case <-c.done:
		return true // already going; its subscriptions are being removed
	default:
	}
	select {
	case c.out <- msg:
		h.sent.Add(1)
		return true
	default:
		return false
	}
}

// dropLocked disconnects clients whose queue overflowed.
func (h *Hub) dropLocked(slow []*wsClient) {
	for _, c := range slow {
		if c.stop(closeSlow, fmt.Sprintf("too slow: notification queue of %d messages full", h.cfg.QueueLen)) {
			h.dropped.Add(1)
			h.log.Warn("websocket client dropped: too slow", "remote", c.remote, "queue", h.cfg.QueueLen)
		}
		h.removeLocked(c)
	}
}

// register adds a client (the server bounds how many).
func (h *Hub) register(c *wsClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clients[c] = struct{}{}
}

// unregister removes c and all its subscriptions.
func (h *Hub) unregister(c *wsClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(c)
	delete(h.clients, c)
}

func (h *Hub) removeLocked(c *wsClient) {
	for id := range c.subs {
		h.unsubscribeLocked(c, id)
	}
}

// errTooManySubs and errUnknownSub are reported to the client.
var (
	errTooManySubs = errors.New("too many subscriptions on this connection")
	errUnknownSub  = errors.New("no such subscription")
)

// subscribe registers a subscription and, under the same lock, queues the
// response built by respond: no notification of the subscription can be
// queued before the client learns its id.
func (h *Hub) subscribe(c *wsClient, topic string, addr consensus.Address, respond func(id string) []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(c.subs) >= h.cfg.MaxSubs {
		return errTooManySubs
	}
	c.nextSub++
	s := &subscription{id: strconv.FormatUint(c.nextSub, 10), topic: topic, addr: addr, c: c}
	c.subs[s.id] = s
	switch topic {
	case TopicNewTips:
		h.tips = append(h.tips, s)
	case TopicMempool:
		h.pool = append(h.pool, s)
	case TopicAddress:
		h.addrs[addr] = append(h.addrs[addr], s)
	}
	if msg := respond(s.id); msg != nil && !h.enqueueLocked(c, msg) {
		h.dropLocked([]*wsClient{c})
	}
	return nil
}

// unsubscribe removes subscription id of c.
func (h *Hub) unsubscribe(c *wsClient, id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.subs[id] == nil {
		return errUnknownSub
	}
	h.unsubscribeLocked(c, id)
	return nil
}

func (h *Hub) unsubscribeLocked(c *wsClient, id string) {
	s := c.subs[id]
	if s == nil {
		return
	}
	delete(c.subs, id)
	without := func(list []*subscription) []*subscription {
		out := list[:0:0]
		for _, x := range list {
			if x != s {
				out = append(out, x)
			}
		}
		return out
	}
	switch s.topic {
	case TopicNewTips:
		h.tips = without(h.tips)
	case TopicMempool:
		h.pool = without(h.pool)
	case TopicAddress:
		if rest := without(h.addrs[s.addr]); len(rest) > 0 {
			h.addrs[s.addr] = rest
		} else {
			delete(h.addrs, s.addr)
		}
	}
}

// send queues a response for c; a full queue drops c.
func (h *Hub) send(c *wsClient, msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.enqueueLocked(c, msg) {
		h.dropLocked([]*wsClient{c})
	}
}
