package p2p

import (
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func banned(n *tnode, p peer.ID) bool { _, bad := n.node.bans.Peer(p); return bad }

// A peer publishing a block with bad proof of work, then a tx with a bad
// signature, is scored down, disconnected and banned by the node it sent
// them to; a third node behind that one never sees either message.
func TestMisbehavingPeerBanned(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pbad", Keys: 4})
	victim := newNode(t, gen.Params, "victim", "")
	good := newNode(t, gen.Params, "good", "")
	connect(t, good, victim)

	badBlock := gen.NextBlock("badpow", "genesis", chaintest.BadPoW())
	badTx := gen.Tx(gen.Keys[0], 0, gen.Keys[1].Addr, 1000, gen.Params.MinTxFee, nil)
	badTx.Sig[31] ^= 1

	t.Run("bad block then bad tx", func(t *testing.T) {
		evil := newRawPeer(t, gen.Params, nil)
		if err := evil.connect(t, victim); err != nil {
			t.Fatal(err)
		}
		evil.publishTo(t, victim, wire.BlockTopic(gen.Params), badBlock.Block.Encode())
		evil.publishTo(t, victim, wire.TxTopic(gen.Params), badTx.Encode())
		waitFor(t, 15*time.Second, "evil banned and disconnected", func() bool {
			return banned(victim, evil.host.ID()) &&
				victim.node.host.Network().Connectedness(evil.host.ID()) != network.Connected
		})
		vs := victim.node.Stats()
		if n := vs.Gossip[KindBlock][VerdictReject]; n != 1 {
			t.Fatalf("victim rejected %d blocks, want 1", n)
		}
		t.Logf("victim verdicts %v, pubsub rejects %v", vs.Gossip, vs.PubsubRejects)
		// With security and muxer negotiated in one round trip the dialer
		// may believe it connected before the victim's gater hangs up.
		_ = evil.connect(t, victim)
		waitFor(t, 5*time.Second, "redial dropped", func() bool {
			return evil.host.Network().Connectedness(victim.node.host.ID()) != network.Connected
		})
		if _, ok := victim.node.table.Get(evil.host.ID()); ok || victim.node.host.Network().Connectedness(evil.host.ID()) == network.Connected {
			t.Fatal("banned peer reconnected")
		}
	})

	t.Run("bad txs", func(t *testing.T) {
		evil := newRawPeer(t, gen.Params, nil)
		if err := evil.connect(t, victim); err != nil {
			t.Fatal(err)
		}
		// Each invalid tx costs -50 squared by count: the second one bans.
		for i := uint64(1); i <= 3 && !banned(victim, evil.host.ID()); i++ {
			tx := gen.Tx(gen.Keys[0], i, gen.Keys[1].Addr, 1000, gen.Params.MinTxFee, nil)
			tx.Sig[0] ^= 1
			evil.publishTo(t, victim, wire.TxTopic(gen.Params), tx.Encode())
			time.Sleep(300 * time.Millisecond)
		}
		waitFor(t, 15*time.Second, "tx spammer banned", func() bool { return banned(victim, evil.host.ID()) })
		if n := victim.node.Stats().Gossip[KindTx][VerdictReject]; n < 2 {
			t.Fatalf("victim rejected %d txs, want at least 2", n)
		}
	})

	time.Sleep(500 * time.Millisecond) // anything relayed would have arrived
	gs := good.node.Stats()
	for kind, verdicts := range gs.Gossip {
		for v, n := range verdicts {
			if n != 0 {
				t.Fatalf("good node validated %d %s messages (%s): invalid data was relayed", n, kind, v)
			}
		}
	}
	if gs.Delivered[KindTx]+gs.Delivered[KindBlock] != 0 {
		t.Fatalf("good node's pubsub delivered %v", gs.Delivered)
	}
	for _, n := range []*tnode{victim, good} {
		if n.pool.Has(badTx.ID()) || n.chain.HaveBlock(badBlock.Hash) {
			t.Fatalf("%s stored invalid data", n.name)
		}
	}
	if !victim.ready(good) {
		t.Fatal("the honest peer was disconnected")
	}
}
