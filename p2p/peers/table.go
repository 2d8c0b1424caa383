package peers

import (
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/holiman/uint256"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Entry is what we know of a connected peer. All per-connection state lives
// here, so Remove frees it when the peer disconnects.
type Entry struct {
	ID     peer.ID
	Dir    network.Direction
	IP     netip.Addr // remote address of the first connection, if any
	Since  time.Time
	Status *wire.Status // nil until the first status arrived
	// Ready is set once, when the first valid status arrived and the
	// post-handshake actions have been started.
	Ready bool

	refreshing bool      // a status refresh is running
	graftPush  time.Time // last mempool announce on a mesh graft
}

// Table tracks connected peers. It is safe for concurrent use.
type Table struct {
	mu sync.Mutex
	m  map[peer.ID]*Entry
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{m: make(map[peer.ID]*Entry)} }

// Add registers a new connection; it returns false if p was already known.
func (t *Table) Add(p peer.ID, dir network.Direction, ip netip.Addr, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[p]; ok {
		return false
	}
	t.m[p] = &Entry{ID: p, Dir: dir, IP: ip, Since: now}
	return true
}

// Remove forgets a disconnected peer and all its per-connection state.
func (t *Table) Remove(p peer.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, p)
}

// Len is the number of peers tracked.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// SetStatus stores p's latest status and reports whether this is the first
// (the handshake just completed). Unknown peers are ignored.
func (t *Table) SetStatus(p peer.ID, s *wire.Status) (first, known bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[p]
	if !ok {
		return false, false
	}
	e.Status = s
	if !e.Ready {
		e.Ready = true
		return true, true
	}
	return false, true
}

// StartRefresh marks a status refresh of p as running; false if one
// already is (or p is gone), so a slow peer cannot pile them up.
func (t *Table) StartRefresh(p peer.ID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[p]
	if !ok || e.refreshing {
		return false
	}
	e.refreshing = true
	return true
}

// EndRefresh clears the mark set by StartRefresh.
func (t *Table) EndRefresh(p peer.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[p]; ok {
		e.refreshing = false
	}
}

// GraftPushDue reports whether p, a ready peer, is due a mempool announce
// on a mesh graft (at most one per every) and records it.
func (t *Table) GraftPushDue(p peer.ID, now time.Time, every time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[p]
	if !ok || !e.Ready || (!e.graftPush.IsZero() && now.Sub(e.graftPush) < every) {
		return false
	}
	e.graftPush = now
	return true
}

// Candidate is a ready peer's sync-relevant view.
type Candidate struct {
	ID     peer.ID
	Height uint64
	Work   *uint256.Int
	Best   [32]byte
}

// Ready lists peers that completed the handshake, most work first.
func (t *Table) Ready() []Candidate {
	t.mu.Lock()
	out := make([]Candidate, 0, len(t.m))
	for _, e := range t.m {
		if e.Ready && e.Status != nil {
			out = append(out, Candidate{ID: e.ID, Height: e.Status.Height, Work: e.Status.Work, Best: e.Status.Best})
		}
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Work.Cmp(out[j].Work); c != 0 {
			return c > 0
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Get returns a copy of p's entry.
func (t *Table) Get(p peer.ID) (Entry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[p]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}
