package p2p

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/p2p/wire"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	ma "github.com/multiformats/go-multiaddr"
)

// Rendezvous timing: the first lookups come quickly after bootstrap, then
// back off to rendezvousMax.
const (
	rendezvousFirst = time.Second
	rendezvousMax   = 2 * time.Minute
	rendezvousFind  = 30 * time.Second
)

// startDiscovery starts the DHT (always, to serve others), wire.Rendezvous
// lookups (only with bootstrap peers), mDNS (only if enabled) and the dials
// to static, bootstrap and remembered peers.
func (n *Node) startDiscovery() error {
	var boot []peer.AddrInfo
	for _, s := range n.cfg.Bootstrap {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return ConfigError{"Bootstrap", err.Error()}
		}
		boot = append(boot, *ai)
	}
	// An explicit (possibly empty) list: the DHT must never fall back to
	// public bootstrap nodes.
	opts := []dht.Option{
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(protocol.ID(wire.DHTPrefix(n.params))),
		dht.BootstrapPeers(boot...),
	}
	if len(boot) == 0 {
		// Without bootstrap peers the node only answers queries: routing
		// table refreshes would dial every peer our peers know and turn a
		// deliberately chosen topology into a full mesh.
		opts = append(opts, dht.DisableAutoRefresh())
	}
	d, err := dht.New(n.host, opts...)
	if err != nil {
		return fmt.Errorf("p2p: dht: %w", err)
	}
	n.dht = d
	for _, s := range n.cfg.Peers {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return ConfigError{"Peers", err.Error()}
		}
		n.dialer.add(*ai, true)
	}
	for _, ai := range boot {
		n.dialer.add(ai, false)
	}
	for _, ai := range n.store.Load() {
		if ai.ID != n.host.ID() {
			n.dialer.add(ai, false)
		}
	}
	if len(boot) > 0 {
		n.loop("rendezvous", n.rendezvousLoop)
	}
	if n.cfg.MDNS {
		n.mdns = mdns.NewMdnsService(n.host, wire.MDNSService(n.params), mdnsNotifee{n})
		if err := n.mdns.Start(); err != nil {
			return fmt.Errorf("p2p: mdns: %w", err)
		}
	}
	return nil
}

// rendezvousLoop advertises this node under the network's key and dials
// the other nodes found there.
func (n *Node) rendezvousLoop() {
	rd := drouting.NewRoutingDiscovery(n.dht)
	ns := wire.Rendezvous(n.params)
	delay := rendezvousFirst
	var readvertise time.Time
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, rendezvousMax)
		if n.dht.RoutingTable().Size() == 0 {
			if err := n.dht.Bootstrap(n.ctx); err != nil {
				n.log.Debug("dht bootstrap", "err", err)
			}
			continue
		}
		if time.Now().After(readvertise) {
			ttl, err := rd.Advertise(n.ctx, ns)
			if err != nil {
				n.log.Debug("rendezvous advertise failed", "err", err)
			} else {
				readvertise = time.Now().Add(ttl / 2)
			}
		}
		n.findPeers(rd, ns)
	}
}

func (n *Node) findPeers(rd *drouting.RoutingDiscovery, ns string) {
	ctx, cancel := context.WithTimeout(n.ctx, rendezvousFind)
	defer cancel()
	ch, err := rd.FindPeers(ctx, ns)
	if err != nil {
		n.log.Debug("rendezvous lookup failed", "err", err)
		return
	}
	found := 0
	for ai := range ch {
		if ai.ID == n.host.ID() || len(ai.Addrs) == 0 || n.host.Network().Connectedness(ai.ID) == network.Connected {
			continue
		}
		n.dialer.add(ai, false)
		found++
	}
	if found > 0 {
		n.log.Info("rendezvous found peers", "new", found)
	}
}

// mdnsNotifee dials LAN peers announced by mDNS.
type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	if ai.ID != m.n.host.ID() {
		m.n.dialer.add(ai, false)
	}
}

// mergeAddrs returns a ∪ b without duplicates.
func mergeAddrs(a, b []ma.Multiaddr) []ma.Multiaddr {
	out := append([]ma.Multiaddr(nil), a...)
	for _, x := range b {
		dup := false
		for _, y := range out {
			if x.Equal(y) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}
