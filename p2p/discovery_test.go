package p2p

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
)

// Two nodes that only know a bootstrap node find each other through the
// DHT and connect, and both advertise themselves under the network's
// wire.Rendezvous key (looked up here from the bootstrap node).
func TestDHTDiscovery(t *testing.T) {
	p := chaintest.MustNew(chaintest.Options{Name: "p2pdht", Keys: 1}).Params
	boot := newNode(t, p, "boot", "")
	withBoot := func(cfg *Config) { cfg.Bootstrap = []string{boot.node.Addrs()[0]} }
	b := newNode(t, p, "b", "", withBoot)
	c := newNode(t, p, "c", "", withBoot)
	waitFor(t, 30*time.Second, "b and c connected via discovery", func() bool {
		return b.node.host.Network().Connectedness(c.node.host.ID()) == network.Connected
	})
	waitFor(t, 10*time.Second, "b and c handshake", func() bool { return b.ready(c) && c.ready(b) })

	rd := drouting.NewRoutingDiscovery(boot.node.dht)
	waitFor(t, 30*time.Second, "b and c advertised", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		ch, err := rd.FindPeers(ctx, wire.Rendezvous(p))
		if err != nil {
			return false
		}
		found := map[peer.ID]bool{}
		for ai := range ch {
			found[ai.ID] = true
		}
		return found[b.node.host.ID()] && found[c.node.host.ID()]
	})
}

// QUIC works as the only transport.
func TestQUICTransport(t *testing.T) {
	p := chaintest.MustNew(chaintest.Options{Name: "p2pquic", Keys: 1}).Params
	quicOnly := func(cfg *Config) { cfg.Listen = []string{"/ip4/127.0.0.1/udp/0/quic-v1"} }
	a := newNode(t, p, "a", "", quicOnly)
	b := newNode(t, p, "b", "", quicOnly)
	if !strings.Contains(a.node.Addrs()[0], "/quic-v1/p2p/") {
		t.Fatalf("addr %s is not QUIC", a.node.Addrs()[0])
	}
	connect(t, b, a)
	peers := b.node.Peers()
	if len(peers) != 1 || !strings.Contains(peers[0].Addrs[0], "quic-v1") || peers[0].Protocol != "cairn/1" || peers[0].Direction != "outbound" {
		t.Fatalf("peer info %+v", peers)
	}
}
