package p2p

import (
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// tracer counts what pubsub does with messages, in particular what it drops.
// Its methods run on pubsub's event loop, so they only bump counters.
type tracer struct {
	kind func(topic string) string
	// onGraft runs (on its own goroutine) when a peer joins our mesh.
	onGraft func(p peer.ID, topic string)

	mu         sync.Mutex
	validated  map[string]uint64
	delivered  map[string]uint64
	duplicates map[string]uint64
	rejects    map[string]uint64
	mesh       map[string]map[peer.ID]bool // topic -> our mesh peers

	queueFull, throttled, dropRPC, undeliverable atomic.Uint64
}

func newTracer(kind func(string) string) *tracer {
	return &tracer{
		kind:       kind,
		validated:  map[string]uint64{},
		delivered:  map[string]uint64{},
		duplicates: map[string]uint64{},
		rejects:    map[string]uint64{},
		mesh:       map[string]map[peer.ID]bool{},
	}
}

func (t *tracer) bump(m map[string]uint64, key string) {
	t.mu.Lock()
	m[key]++
	t.mu.Unlock()
}

func (t *tracer) ValidateMessage(msg *pubsub.Message) { t.bump(t.validated, t.kind(msg.GetTopic())) }
func (t *tracer) DeliverMessage(msg *pubsub.Message)  { t.bump(t.delivered, t.kind(msg.GetTopic())) }
func (t *tracer) DuplicateMessage(msg *pubsub.Message) {
	t.bump(t.duplicates, t.kind(msg.GetTopic()))
}

func (t *tracer) RejectMessage(msg *pubsub.Message, reason string) {
	switch reason {
	case pubsub.RejectValidationQueueFull:
		t.queueFull.Add(1)
	case pubsub.RejectValidationThrottled:
		t.throttled.Add(1)
	}
	t.bump(t.rejects, t.kind(msg.GetTopic())+": "+reason)
}

func (t *tracer) DropRPC(*pubsub.RPC, peer.ID)                         { t.dropRPC.Add(1) }
func (t *tracer) UndeliverableMessage(*pubsub.Message)                 { t.undeliverable.Add(1) }
func (t *tracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (t *tracer) OnClosedOutboundStream(peer.ID)                       {}
func (t *tracer) Join(string)                                          {}
func (t *tracer) Leave(string)                                         {}
func (t *tracer) ThrottlePeer(peer.ID)                                 {}
func (t *tracer) RecvRPC(*pubsub.RPC)                                  {}
func (t *tracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (t *tracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}

func (t *tracer) Graft(p peer.ID, topic string) {
	t.mu.Lock()
	if t.mesh[topic] == nil {
		t.mesh[topic] = map[peer.ID]bool{}
	}
	t.mesh[topic][p] = true
	t.mu.Unlock()
	if t.onGraft != nil {
		go t.onGraft(p, topic)
	}
}

func (t *tracer) Prune(p peer.ID, topic string) {
	t.mu.Lock()
	delete(t.mesh[topic], p)
	t.mu.Unlock()
}

// forget drops a disconnected peer from the mesh view.
func (t *tracer) forget(p peer.ID) {
	t.mu.Lock()
	for _, m := range t.mesh {
		delete(m, p)
	}
	t.mu.Unlock()
}

func (t *tracer) inMesh(p peer.ID, topic string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mesh[topic][p]
}

func copyCounts(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (t *tracer) fill(s *Stats) {
	t.mu.Lock()
	s.Validated = copyCounts(t.validated)
	s.Delivered = copyCounts(t.delivered)
	s.Duplicates = copyCounts(t.duplicates)
	s.PubsubRejects = copyCounts(t.rejects)
	t.mu.Unlock()
	s.Dropped.ValidateQueueFull = t.queueFull.Load()
	s.Dropped.ValidateThrottled = t.throttled.Load()
	s.Dropped.OutboundRPC = t.dropRPC.Load()
	s.Dropped.Undeliverable = t.undeliverable.Load()
}
