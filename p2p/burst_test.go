package p2p

import (
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// A burst of 2,000 txs gossiped between two real hosts: every one reaches
// the far mempool through gossip, micro-batched, and neither node drops a
// message anywhere (validation queue, throttle, our own subscription,
// outbound queues, publish queue: Stats.Dropped stays zero).
func TestGossipBurstDropsNothing(t *testing.T) {
	const senders, perSender = 400, 5
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pburst", Keys: senders})
	a := newNode(t, gen.Params, "a", "")
	b := newNode(t, gen.Params, "b", "")
	connect(t, a, b)
	waitFor(t, 30*time.Second, "tx mesh", func() bool {
		return a.node.tracer.inMesh(b.node.host.ID(), a.node.txTopicName) && b.node.tracer.inMesh(a.node.host.ID(), b.node.txTopicName)
	})
	txs := make([]*consensus.Tx, 0, senders*perSender)
	var keys []*chaintest.Key
	for n := range uint64(perSender) {
		for _, k := range gen.Keys {
			txs = append(txs, &consensus.Tx{Kind: consensus.TxTransfer, ChainID: gen.Params.ChainID, Nonce: n,
				To: gen.Keys[0].Addr, Amount: 1000, Fee: gen.Params.MinTxFee})
			keys = append(keys, k)
		}
	}
	chaintest.SignAll(txs, keys)
	for _, tx := range txs { // each accepted tx is published by OnAccept
		if _, err := a.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	waitFor(t, 120*time.Second, "every tx in b's mempool", func() bool { return b.pool.Count() == len(txs) })
	t.Logf("burst of %d txs in b's mempool after %v", len(txs), time.Since(start))
	for _, n := range []*tnode{a, b} {
		if d := n.node.Stats().Dropped; d != (DropStats{}) {
			t.Fatalf("%s dropped messages: %+v", n.name, d)
		}
	}
	bs := b.node.Stats()
	if got := bs.Gossip[KindTx][VerdictAccept]; got != uint64(len(txs)) {
		t.Fatalf("b accepted %d txs from gossip, want %d (pushed in: %d)", got, len(txs), bs.TxsPushedIn)
	}
	// The gossip validators funnelled into micro-batches.
	st := b.pool.Stats()
	t.Logf("b verified %d signatures, %d of them in %d batches", st.SigVerifications, st.SigBatched, st.SigBatches)
	if st.SigBatched == 0 || st.SigBatches >= st.SigBatched {
		t.Fatalf("b verified %d signatures in %d batches: gossip txs were not batched", st.SigBatched, st.SigBatches)
	}
}
