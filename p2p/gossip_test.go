package p2p

import (
	"fmt"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// line builds n nodes connected as a line: 0 - 1 - ... - n-1.
func line(t *testing.T, p *consensus.Params, n int) []*tnode {
	t.Helper()
	nodes := make([]*tnode, n)
	for i := range nodes {
		nodes[i] = newNode(t, p, fmt.Sprintf("n%d", i), "")
	}
	for i := 1; i < n; i++ {
		connect(t, nodes[i], nodes[i-1])
	}
	return nodes
}

// waitMesh waits until neighbours in the line are in each other's gossip
// mesh on both topics, so this test exercises gossip alone (a message
// relayed before a mesh link forms is the mempool push's job).
func waitMesh(t *testing.T, nodes []*tnode) {
	t.Helper()
	waitFor(t, 15*time.Second, "gossip mesh", func() bool {
		for i := 1; i < len(nodes); i++ {
			a, b := nodes[i-1].node, nodes[i].node
			for _, topic := range []string{a.txTopicName, a.blockTopicName} {
				if !a.tracer.inMesh(b.host.ID(), topic) || !b.tracer.inMesh(a.host.ID(), topic) {
					return false
				}
			}
		}
		return true
	})
}

// A tx submitted on one end of a 5-node line reaches every mempool by
// gossip, each relay validating it exactly once: the relays' own
// re-broadcast from the mempool's OnAccept hook is deduplicated by the
// content-addressed message id. A block mined on the same end then reaches
// every tip.
func TestGossipLine(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pline", Keys: 4})
	nodes := line(t, gen.Params, 5)
	waitMesh(t, nodes)

	tx := gen.Tx(gen.Keys[0], 0, gen.Keys[1].Addr, 5000, gen.Params.MinTxFee, nil)
	if _, err := nodes[0].pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "tx in every mempool", func() bool {
		for _, n := range nodes {
			if !n.pool.Has(tx.ID()) {
				return false
			}
		}
		return true
	})
	// Let any duplicate the re-broadcasts could cause arrive before counting.
	time.Sleep(500 * time.Millisecond)
	for i, n := range nodes {
		s := n.node.Stats()
		g := s.Gossip[KindTx]
		if i == 0 {
			if g[VerdictLocal] != 1 || g[VerdictAccept] != 0 {
				t.Fatalf("origin tx verdicts %v, want one local", g)
			}
			continue
		}
		if g[VerdictAccept] != 1 || g[VerdictIgnore] != 0 || g[VerdictReject] != 0 {
			t.Fatalf("%s tx verdicts %v: want exactly one accept, no duplicates validated", n.name, g)
		}
		if s.Published[KindTx] != 1 {
			t.Fatalf("%s published %d txs, want 1 (the OnAccept re-broadcast)", n.name, s.Published[KindTx])
		}
	}

	hs := nodes[0].mine(t, 1, gen.Keys[2].Addr)
	blk, err := nodes[0].chain.Block(hs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(blk.Txs) != 2 {
		t.Fatalf("mined block has %d txs, want coinbase + the gossiped tx", len(blk.Txs))
	}
	if err := nodes[0].node.BroadcastBlock(blk); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "block on every tip", func() bool { return sameTip(nodes...) })
	viaGossip := 0
	for _, n := range nodes[1:] {
		viaGossip += int(n.node.Stats().Gossip[KindBlock][VerdictAccept])
		if n.pool.Has(tx.ID()) {
			t.Fatalf("%s still holds the mined tx", n.name)
		}
	}
	t.Logf("block reached %d of 4 peers by gossip (the rest by status-triggered sync)", viaGossip)
	if viaGossip == 0 {
		t.Fatal("block never travelled by gossip")
	}
	for _, n := range nodes {
		if c := n.node.ConnectionCount(); c > 2 {
			t.Fatalf("%s has %d connections; the line topology must not grow", n.name, c)
		}
	}
}

// A node that connects after a tx was gossiped gets it from the handshake's
// mempool push, not from gossip.
func TestMempoolPushToLateJoiner(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2ppush", Keys: 4})
	a := newNode(t, gen.Params, "a", "")
	var txs []*consensus.Tx
	for i := uint64(0); i < 3; i++ { // one sender, nonces in order
		tx := gen.Tx(gen.Keys[0], i, gen.Keys[1].Addr, 1000, gen.Params.MinTxFee, nil)
		if _, err := a.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	b := newNode(t, gen.Params, "b", "")
	connect(t, b, a)
	waitFor(t, 10*time.Second, "pushed txs in b's mempool", func() bool {
		for _, tx := range txs {
			if !b.pool.Has(tx.ID()) {
				return false
			}
		}
		return true
	})
	if s := b.node.Stats(); s.TxsPushedIn != 3 || s.Gossip[KindTx][VerdictAccept] != 0 {
		t.Fatalf("b: pushed in %d, gossip accepts %d; want 3 and 0", s.TxsPushedIn, s.Gossip[KindTx][VerdictAccept])
	}
	// a pushes at the handshake and again when b joins its tx mesh; b
	// accepts each tx once.
	if s := a.node.Stats(); s.TxsPushedOut < 3 {
		t.Fatalf("a pushed %d txs, want at least 3", s.TxsPushedOut)
	}
}

// A tx submitted the moment a line is connected, before any gossip mesh
// exists, still reaches the far end: relays that accept it before their
// next mesh link forms push their mempool to the peer when it is grafted.
func TestTxBeforeMeshFormed(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pearly", Keys: 4})
	nodes := line(t, gen.Params, 4)
	tx := gen.Tx(gen.Keys[0], 0, gen.Keys[1].Addr, 5000, gen.Params.MinTxFee, nil)
	if _, err := nodes[0].pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "early tx in every mempool", func() bool {
		for _, n := range nodes {
			if !n.pool.Has(tx.ID()) {
				return false
			}
		}
		return true
	})
	var pushed, gossiped uint64
	for _, n := range nodes[1:] {
		s := n.node.Stats()
		pushed += s.TxsPushedIn
		gossiped += s.Gossip[KindTx][VerdictAccept]
	}
	t.Logf("early tx arrived %d times by gossip, %d times by mempool push", gossiped, pushed)
}
