package p2p

import (
	"sync"
	"sync/atomic"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Gossip verdicts as counted in Stats.Gossip.
const (
	VerdictAccept = "accept"
	VerdictIgnore = "ignore"
	VerdictReject = "reject"
	// VerdictLocal counts our own publications passing our validator.
	VerdictLocal = "local"
)

// Topic kinds as used in Stats maps.
const (
	KindTx    = "tx"
	KindBlock = "block"
)

// Stats is a snapshot of the node's counters.
type Stats struct {
	// Gossip counts validator verdicts by topic kind ("tx", "block") and
	// verdict ("accept", "ignore", "reject", "local").
	Gossip map[string]map[string]uint64
	// Published counts our own messages handed to pubsub, by kind.
	Published map[string]uint64
	// Validated, Delivered and Duplicates count messages entering pubsub's
	// validation, delivered after it, and dropped as already seen, by kind.
	Validated  map[string]uint64
	Delivered  map[string]uint64
	Duplicates map[string]uint64
	// PubsubRejects counts pubsub's reasons for not delivering a message
	// (validation failed, ignored, queue full, throttled...).
	PubsubRejects map[string]uint64
	// Dropped counts messages lost to full queues.
	Dropped DropStats
	// BlocksFetched counts blocks each peer (by ID) served us during sync.
	BlocksFetched  map[string]uint64
	HeadersFetched uint64
	// HeadersStored counts headers handed to the chain after pre-sync
	// found their branch worthy; PresyncOverflows counts branches whose
	// walk outgrew the kept prefix (and were re-downloaded if worthy);
	// PresyncMaxHeld is the most headers a pre-sync ever held in memory.
	HeadersStored    uint64
	PresyncOverflows uint64
	PresyncMaxHeld   uint64
	BlocksSynced     uint64 // sync-fetched blocks the chain accepted
	SyncRetries      uint64 // block batches re-requested from another peer
	Stalls           uint64 // requests that timed out
	TxsPushedOut     uint64 // txs sent outside gossip (inventory, push)
	TxsPushedIn      uint64 // txs received outside gossip (inventory, push) and accepted
	// UploadThrottled counts inventories or txs cut short by a peer
	// address's upload budget.
	UploadThrottled uint64
	Handshakes      uint64
	// HandshakeFailures counts status exchanges refused or failed.
	HandshakeFailures uint64
	Bans              uint64
	Refused           int // peers currently banned or remembered incompatible
}

// DropStats counts messages that never made it because a queue was full.
type DropStats struct {
	ValidateQueueFull uint64 // inbound: pubsub's validation queue
	ValidateThrottled uint64 // inbound: too many concurrent validations
	OutboundRPC       uint64 // outbound: a peer's send queue was full
	Undeliverable     uint64 // our subscription reader fell behind
	PublishQueue      uint64 // our own publish queue was full
}

// counters is the mutable form behind Stats.
type counters struct {
	mu            sync.Mutex
	gossip        map[string]map[string]uint64
	published     map[string]uint64
	blocksFetched map[peer.ID]uint64

	headersFetched, blocksSynced, syncRetries, stalls atomic.Uint64
	txsOut, txsIn, handshakes, handshakeFails, bans   atomic.Uint64
	publishDropped, uploadThrottled                   atomic.Uint64
	headersStored, presyncOverflows, presyncMaxHeld   atomic.Uint64
}

func newCounters() *counters {
	return &counters{
		gossip:        map[string]map[string]uint64{KindTx: {}, KindBlock: {}},
		published:     map[string]uint64{},
		blocksFetched: map[peer.ID]uint64{},
	}
}

func (c *counters) verdict(kind, v string) {
	c.mu.Lock()
	c.gossip[kind][v]++
	c.mu.Unlock()
}

func (c *counters) notePresyncHeld(n int) {
	for {
		old := c.presyncMaxHeld.Load()
		if uint64(n) <= old || c.presyncMaxHeld.CompareAndSwap(old, uint64(n)) {
			return
		}
	}
}

func (c *counters) publish(kind string) {
	c.mu.Lock()
	c.published[kind]++
	c.mu.Unlock()
}

// maxServedPeers bounds the per-peer served-blocks counter.
const maxServedPeers = 1024

func (c *counters) served(p peer.ID, n int) {
	c.mu.Lock()
	if _, ok := c.blocksFetched[p]; !ok && len(c.blocksFetched) >= maxServedPeers {
		clear(c.blocksFetched) // a statistic: restarting it beats growing
	}
	c.blocksFetched[p] += uint64(n)
	c.mu.Unlock()
}

// Stats returns a snapshot of the node's counters.
func (n *Node) Stats() Stats {
	c := n.stats
	s := Stats{
		Gossip:            map[string]map[string]uint64{},
		Published:         map[string]uint64{},
		BlocksFetched:     map[string]uint64{},
		HeadersFetched:    c.headersFetched.Load(),
		HeadersStored:     c.headersStored.Load(),
		PresyncOverflows:  c.presyncOverflows.Load(),
		PresyncMaxHeld:    c.presyncMaxHeld.Load(),
		BlocksSynced:      c.blocksSynced.Load(),
		SyncRetries:       c.syncRetries.Load(),
		Stalls:            c.stalls.Load(),
		TxsPushedOut:      c.txsOut.Load(),
		TxsPushedIn:       c.txsIn.Load(),
		UploadThrottled:   c.uploadThrottled.Load(),
		Handshakes:        c.handshakes.Load(),
		HandshakeFailures: c.handshakeFails.Load(),
		Bans:              c.bans.Load(),
		Refused:           n.bans.Count(),
	}
	c.mu.Lock()
	for k, m := range c.gossip {
		s.Gossip[k] = map[string]uint64{}
		for v, x := range m {
			s.Gossip[k][v] = x
		}
	}
	for k, x := range c.published {
		s.Published[k] = x
	}
	for p, x := range c.blocksFetched {
		s.BlocksFetched[p.String()] = x
	}
	c.mu.Unlock()
	n.tracer.fill(&s)
	s.Dropped.PublishQueue = c.publishDropped.Load()
	return s
}

// kindOf maps a topic to its Stats kind.
func (n *Node) kindOf(topic string) string {
	switch topic {
	case n.txTopicName:
		return KindTx
	case n.blockTopicName:
		return KindBlock
	}
	return "other"
}

var _ pubsub.RawTracer = (*tracer)(nil)
