package p2p

import (
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A static peer dropped by the other side is redialled; DisconnectNode on
// our side drops it for good.
func TestStaticPeerReconnects(t *testing.T) {
	p := chaintest.MustNew(chaintest.Options{Name: "p2pstatic", Keys: 1}).Params
	a := newNode(t, p, "a", "")
	b := newNode(t, p, "b", "", func(cfg *Config) { cfg.Peers = []string{a.node.Addrs()[0]} })
	waitFor(t, 10*time.Second, "b dials its static peer", func() bool { return a.ready(b) && b.ready(a) })

	if err := a.node.DisconnectNode(b.node.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "b redials a", func() bool {
		return a.node.host.Network().Connectedness(b.node.host.ID()) == network.Connected && a.ready(b)
	})

	if err := b.node.DisconnectNode(a.node.ID()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // several dialer ticks
	// b's dialer must have dropped a for good, and discovery may not re-add
	// it. (b's DHT may still open short query connections to a: that is the
	// DHT working, not a reconnect, as with bitcoind's disconnectnode.)
	b.node.dialer.mu.Lock()
	_, target := b.node.dialer.targets[a.node.host.ID()]
	b.node.dialer.mu.Unlock()
	if target {
		t.Fatal("b still has a as a dial target after DisconnectNode")
	}
	b.node.dialer.add(peer.AddrInfo{ID: a.node.host.ID(), Addrs: a.node.host.Addrs()}, false)
	b.node.dialer.mu.Lock()
	_, target = b.node.dialer.targets[a.node.host.ID()]
	b.node.dialer.mu.Unlock()
	if target {
		t.Fatal("discovery re-added a peer the operator disconnected")
	}
}
