package p2p

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// maxRefused bounds the refusal list so a flood of identities cannot grow it
// without limit; the entry closest to expiry is dropped first.
const maxRefused = 4096

// incompatibleFor is how long a peer that failed the handshake for good
// (other genesis or version) is refused: long enough never to redial it in
// practice, short enough that an upgraded peer is tried again one day.
const incompatibleFor = 24 * time.Hour

type refusal struct {
	until  time.Time
	reason string
}

// gater is the libp2p ConnectionGater: it refuses banned and incompatible
// peers in both directions and all inbound connections until Start.
type gater struct {
	open atomic.Bool
	now  func() time.Time

	mu      sync.Mutex
	refused map[peer.ID]refusal
}

func newGater() *gater { return &gater{refused: make(map[peer.ID]refusal), now: time.Now} }

// refuse records p until the given time, keeping the longer of two refusals.
func (g *gater) refuse(p peer.ID, until time.Time, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.refused[p]; ok && old.until.After(until) {
		return
	}
	if _, ok := g.refused[p]; !ok && len(g.refused) >= maxRefused {
		g.pruneLocked()
	}
	g.refused[p] = refusal{until: until, reason: reason}
}

func (g *gater) pruneLocked() {
	now := g.now()
	var soonest peer.ID
	var soonestAt time.Time
	for p, r := range g.refused {
		if !r.until.After(now) {
			delete(g.refused, p)
			continue
		}
		if soonest == "" || r.until.Before(soonestAt) {
			soonest, soonestAt = p, r.until
		}
	}
	if len(g.refused) >= maxRefused {
		delete(g.refused, soonest)
	}
}

// check returns the active refusal of p, if any.
func (g *gater) check(p peer.ID) (refusal, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.refused[p]
	if !ok {
		return refusal{}, false
	}
	if !r.until.After(g.now()) {
		delete(g.refused, p)
		return refusal{}, false
	}
	return r, true
}

// count is the number of active refusals.
func (g *gater) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	now, c := g.now(), 0
	for _, r := range g.refused {
		if r.until.After(now) {
			c++
		}
	}
	return c
}

func (g *gater) allowed(p peer.ID) bool { _, bad := g.check(p); return !bad }

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return g.allowed(p) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed(p) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return g.open.Load() }

func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.open.Load() && g.allowed(p)
}

func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
