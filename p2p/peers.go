package p2p

import (
	"sort"
	"sync"
	"time"

	"github.com/holiman/uint256"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PeerInfo describes one connected peer.
type PeerInfo struct {
	ID        string
	Addrs     []string // remote multiaddrs of our connections to it
	Direction string   // "inbound" or "outbound"
	// Protocol is the peer's Cairn protocol version as "cairn/<n>", empty
	// until its status arrived.
	Protocol       string
	BestHeight     uint64
	Score          float64 // gossip score including our own penalties
	BytesIn        uint64
	BytesOut       uint64
	ConnectedSince time.Time
}

// NetworkInfo describes the local node.
type NetworkInfo struct {
	PeerID      string
	ListenAddrs []string
	Protocol    string // "cairn/<ProtocolVersion>"
}

// peerEntry is what we know of a connected peer.
type peerEntry struct {
	id     peer.ID
	dir    network.Direction
	since  time.Time
	status *statusMsg // nil until the first status arrived
	// ready is set once, when the first valid status arrived and the
	// post-handshake actions (mempool push, sync check) have been started.
	ready bool
}

// peerTable tracks connected peers. It is safe for concurrent use.
type peerTable struct {
	mu sync.Mutex
	m  map[peer.ID]*peerEntry
}

func newPeerTable() *peerTable { return &peerTable{m: make(map[peer.ID]*peerEntry)} }

// add registers a new connection; it returns false if p was already known.
func (t *peerTable) add(p peer.ID, dir network.Direction, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[p]; ok {
		return false
	}
	t.m[p] = &peerEntry{id: p, dir: dir, since: now}
	return true
}

func (t *peerTable) remove(p peer.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, p)
}

// setStatus stores p's latest status and reports whether this is the first
// (the handshake just completed). Unknown peers are ignored.
func (t *peerTable) setStatus(p peer.ID, s *statusMsg) (first, known bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[p]
	if !ok {
		return false, false
	}
	e.status = s
	if !e.ready {
		e.ready = true
		return true, true
	}
	return false, true
}

// syncPeer is a ready peer's sync-relevant view.
type syncPeer struct {
	id     peer.ID
	height uint64
	work   *uint256.Int
	best   [32]byte
}

// ready lists peers that completed the handshake, most work first.
func (t *peerTable) ready() []syncPeer {
	t.mu.Lock()
	out := make([]syncPeer, 0, len(t.m))
	for _, e := range t.m {
		if e.ready && e.status != nil {
			out = append(out, syncPeer{id: e.id, height: e.status.Height, work: e.status.Work, best: e.status.Best})
		}
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].work.Cmp(out[j].work); c != 0 {
			return c > 0
		}
		return out[i].id < out[j].id
	})
	return out
}

func (t *peerTable) get(p peer.ID) (peerEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[p]
	if !ok {
		return peerEntry{}, false
	}
	return *e, true
}
