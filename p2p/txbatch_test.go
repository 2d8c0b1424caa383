package p2p

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
)

// A gossip micro-batch that holds a sender's nonces out of order (validators
// run concurrently, copies come from several peers) adds them in nonce
// order: with room for one gapped tx per sender, n+2, n+1, n all get in
// and none waits gapped; answers still line up with the requests.
func TestTxBatchAddsEachSenderInNonceOrder(t *testing.T) {
	g := chaintest.MustNew(chaintest.Options{Name: "txbatch", Keys: 2})
	ch, err := chain.Open(chain.Config{Dir: filepath.Join(t.TempDir(), "chain"), Params: g.Params, Now: g.Now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	pool := mempool.New(mempool.Config{Params: g.Params, State: ch, MaxQueuedPerSender: 1, Now: g.Now})
	n := &Node{pool: pool, log: slog.New(slog.DiscardHandler)}
	b := &txBatcher{n: n}
	a, c := g.Keys[0], g.Keys[1]
	txs := []*consensus.Tx{
		g.Tx(a, 2, c.Addr, 1000, g.Params.MinTxFee, nil),
		g.Tx(c, 0, a.Addr, 1000, g.Params.MinTxFee, nil),
		g.Tx(a, 1, c.Addr, 1000, g.Params.MinTxFee, nil),
		g.Tx(a, 0, c.Addr, 1000, g.Params.MinTxFee, nil),
	}
	reqs := make([]txReq, len(txs))
	for i, tx := range txs {
		reqs[i] = txReq{tx: tx, done: make(chan error, 1)}
	}
	b.flush(reqs)
	for i, r := range reqs {
		if err := <-r.done; err != nil {
			t.Fatalf("tx %d (nonce %d): %v", i, txs[i].Nonce, err)
		}
		if !pool.Has(txs[i].ID()) {
			t.Fatalf("tx %d not in the pool", i)
		}
	}
	if st := pool.Stats(); st.Queued != 0 || st.Pending != 4 {
		t.Fatalf("pool holds %d pending and %d queued, want 4 and 0", st.Pending, st.Queued)
	}
}
