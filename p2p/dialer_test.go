package p2p

import (
	"errors"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/libp2p/go-libp2p/core/network"
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
	if b.node.ConnectionCount() != 0 {
		t.Fatal("b redialled a peer it disconnected")
	}
	if err := b.node.DisconnectNode(a.node.ID()); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("second disconnect: %v, want ErrNotConnected", err)
	}
}
