package p2p

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// Nodes of different networks (regtest and a custom genesis) refuse each
// other at the handshake, disconnect, and do not redial.
func TestDifferentNetworksRefused(t *testing.T) {
	custom := chaintest.MustNew(chaintest.Options{Name: "p2pother", Keys: 1}).Params
	r := newNode(t, consensus.RegtestParams(), "regtest", "")
	c := newNode(t, custom, "custom", "")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The transport connects; the status exchange then fails on both sides.
	if err := r.node.AddNode(ctx, c.node.Addrs()[0]); err != nil {
		t.Fatalf("transport connect: %v", err)
	}
	waitFor(t, 10*time.Second, "both sides refuse", func() bool {
		return r.node.ConnectionCount() == 0 && c.node.ConnectionCount() == 0 &&
			banned(r, c.node.host.ID()) && banned(c, r.node.host.ID())
	})
	for _, n := range []*tnode{r, c} {
		s := n.node.Stats()
		if s.HandshakeFailures == 0 || s.Handshakes != 0 {
			t.Fatalf("%s: %d handshakes, %d failures; want 0 and >0", n.name, s.Handshakes, s.HandshakeFailures)
		}
	}
	var re RefusedError
	if err := r.node.AddNode(ctx, c.node.Addrs()[0]); !errors.As(err, &re) {
		t.Fatalf("redial: got %v, want RefusedError", err)
	}
	// Neither side's static-peer loop dials again.
	time.Sleep(1500 * time.Millisecond)
	if r.node.ConnectionCount() != 0 || c.node.ConnectionCount() != 0 {
		t.Fatal("refused peers reconnected")
	}
}
