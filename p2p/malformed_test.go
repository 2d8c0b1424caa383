package p2p

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/protocol"
)

func frame(payload []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...)
}

// Malformed requests on every stream protocol neither crash the node nor
// go unpunished: each sender is penalised (here: banned at once), and the
// node keeps serving honest peers.
func TestMalformedStreamsPenalised(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pmal", Keys: 1})
	n := newNode(t, gen.Params, "n", "")
	locator65 := binary.BigEndian.AppendUint32(nil, 10)
	locator65 = binary.BigEndian.AppendUint16(locator65, 65)
	cases := []struct {
		name  string
		proto string
		raw   []byte
	}{
		{"status frame too large", wire.StatusProtocol, []byte{0xff, 0xff, 0xff, 0xff}},
		{"status garbage", wire.StatusProtocol, frame([]byte("not a status"))},
		{"headers locator too long", wire.HeadersProtocol, frame(append(locator65, make([]byte, 64)...))},
		{"blocks zero hashes", wire.BlocksProtocol, frame([]byte{0, 0})},
		{"blocks too many hashes", wire.BlocksProtocol, frame(append([]byte{0, 17}, make([]byte, 17*32)...))},
		{"txs count too large", wire.TxsProtocol, frame(binary.BigEndian.AppendUint32(nil, wire.MaxTxsPerPush+1))},
		{"txs garbage tx", wire.TxsProtocol, append(frame(binary.BigEndian.AppendUint32(nil, 1)), frame([]byte{7, 7, 7})...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, gen.Params, nil)
			if err := r.connect(t, n); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s, err := r.host.NewStream(ctx, n.node.host.ID(), protocol.ID(tc.proto))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = s.Write(tc.raw)
			_ = s.CloseWrite()
			waitFor(t, 5*time.Second, "sender penalised", func() bool { return n.node.pen.Get(r.host.ID()) > peers.PenaltyInvalid*0.9 })
			waitFor(t, 5*time.Second, "sender banned", func() bool { return banned(n, r.host.ID()) })
			_ = s.Reset()
		})
	}
	good := newNode(t, gen.Params, "good", "")
	connect(t, good, n)
}

// A block the node has not validated is checked before it is published:
// an invalid one never leaves the node.
func TestInvalidLocalBlockNotPublished(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2plocal", Keys: 1})
	a := newNode(t, gen.Params, "a", "")
	b := newNode(t, gen.Params, "b", "")
	connect(t, a, b)
	waitMesh(t, []*tnode{a, b})
	bad := gen.NextBlock("bad", "genesis", chaintest.BadPoW())
	if err := a.node.BroadcastBlock(bad.Block); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a refused its own bad block", func() bool {
		return a.node.Stats().Gossip[KindBlock][VerdictReject] == 1
	})
	time.Sleep(300 * time.Millisecond)
	if s := b.node.Stats(); s.Gossip[KindBlock][VerdictReject]+s.Gossip[KindBlock][VerdictAccept] != 0 {
		t.Fatalf("b saw the block: %v", s.Gossip)
	}
	if banned(b, a.node.host.ID()) {
		t.Fatal("a was punished for a message it never sent")
	}
}
