package peers

import (
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Gater is the libp2p ConnectionGater: it refuses banned peer IDs and
// banned addresses (IPs and subnets) in both directions, and every inbound
// connection until Open. Address checks run before the handshake, so a
// banned host pays nothing to be refused and gains nothing from a new ID.
type Gater struct {
	open atomic.Bool
	bans *BanList
}

// NewGater gates on bans.
func NewGater(bans *BanList) *Gater { return &Gater{bans: bans} }

// Open starts accepting inbound connections.
func (g *Gater) Open() { g.open.Store(true) }

// Allowed reports whether p may connect (its ID is not banned).
func (g *Gater) Allowed(p peer.ID) bool { _, bad := g.bans.Peer(p); return !bad }

// InterceptPeerDial refuses to dial a banned peer.
func (g *Gater) InterceptPeerDial(p peer.ID) bool { return g.Allowed(p) }

// InterceptAddrDial refuses to dial a banned address.
func (g *Gater) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	_, bad := g.bans.Multiaddr(a)
	return !bad && g.Allowed(p)
}

// InterceptAccept refuses inbound connections before Open and from banned
// addresses.
func (g *Gater) InterceptAccept(cm network.ConnMultiaddrs) bool {
	if !g.open.Load() {
		return false
	}
	_, bad := g.bans.Multiaddr(cm.RemoteMultiaddr())
	return !bad
}

// InterceptSecured refuses banned IDs and addresses once the remote
// identity is known.
func (g *Gater) InterceptSecured(_ network.Direction, p peer.ID, cm network.ConnMultiaddrs) bool {
	if !g.open.Load() || !g.Allowed(p) {
		return false
	}
	if cm != nil {
		if _, bad := g.bans.Multiaddr(cm.RemoteMultiaddr()); bad {
			return false
		}
	}
	return true
}

// InterceptUpgraded accepts every upgraded connection.
func (g *Gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
