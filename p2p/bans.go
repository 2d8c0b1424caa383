package p2p

import (
	"fmt"
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// BanInfo is one refused peer, for RPC listbanned.
type BanInfo struct {
	ID     string
	Until  time.Time
	Reason string
}

// Ban refuses the peer for d and drops its connections (RPC setban; also
// how `cairn testnet partition` splits a network without root).
func (n *Node) Ban(id string, d time.Duration, reason string) error {
	p, err := peer.Decode(id)
	if err != nil {
		return fmt.Errorf("p2p: peer id %q: %w", id, err)
	}
	if p == n.host.ID() {
		return fmt.Errorf("p2p: cannot ban this node")
	}
	if d <= 0 {
		return fmt.Errorf("p2p: ban duration must be positive")
	}
	n.gater.refuse(p, n.gater.now().Add(d), reason)
	n.stats.bans.Add(1)
	n.log.Info("banned peer", "peer", p, "for", d, "reason", reason)
	_ = n.host.Network().ClosePeer(p)
	return nil
}

// Unban lifts a refusal.
func (n *Node) Unban(id string) error {
	p, err := peer.Decode(id)
	if err != nil {
		return fmt.Errorf("p2p: peer id %q: %w", id, err)
	}
	if !n.gater.unrefuse(p) {
		return fmt.Errorf("p2p: %s is not banned", id)
	}
	return nil
}

// Banned lists active refusals, soonest to expire first.
func (n *Node) Banned() []BanInfo { return n.gater.list() }

// ClearBans lifts every refusal.
func (n *Node) ClearBans() { n.gater.clear() }

func (g *gater) unrefuse(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.refused[p]
	delete(g.refused, p)
	return ok
}

func (g *gater) list() []BanInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	out := []BanInfo{}
	for p, r := range g.refused {
		if r.until.After(now) {
			out = append(out, BanInfo{ID: p.String(), Until: r.until, Reason: r.reason})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Until.Before(out[j].Until) })
	return out
}

func (g *gater) clear() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused = make(map[peer.ID]refusal)
}
