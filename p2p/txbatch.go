package p2p

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// Gossip tx micro-batching: txs that arrive within txBatchWindow of each
// other are added to the mempool with one AddBatch, so their signatures are
// verified as one batch. A tx waits at most txBatchWindow for company, plus
// the batch's own time.
const (
	txBatchWindow = time.Millisecond
	txBatchMax    = 512
	// txBatchWorkers batches run at once: one collects while another
	// verifies, so the window never waits on a running batch.
	txBatchWorkers = 2
)

var errBatchPanic = errors.New("p2p: tx batch failed unexpectedly")

type txReq struct {
	tx   *consensus.Tx
	done chan error // buffered: the batcher never waits on a validator
}

// txBatcher funnels gossip validators into mempool AddBatch calls.
type txBatcher struct {
	n  *Node
	in chan txReq
}

func (n *Node) startTxBatcher() *txBatcher {
	b := &txBatcher{n: n, in: make(chan txReq, txBatchMax)}
	for range txBatchWorkers {
		n.loop("tx batcher", b.run)
	}
	return b
}

// add queues tx for the next batch and returns what the mempool said, or
// ok=false if the node is closing.
func (b *txBatcher) add(tx *consensus.Tx) (err error, ok bool) {
	r := txReq{tx: tx, done: make(chan error, 1)}
	select {
	case b.in <- r:
	case <-b.n.ctx.Done():
		return nil, false
	}
	select {
	case err = <-r.done:
		return err, true
	case <-b.n.ctx.Done():
		return nil, false
	}
}

func (b *txBatcher) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var batch []txReq
	for {
		batch = batch[:0]
		select {
		case <-b.n.ctx.Done():
			return
		case r := <-b.in:
			batch = append(batch, r)
		}
		timer.Reset(txBatchWindow)
	collect:
		for len(batch) < txBatchMax {
			select {
			case r := <-b.in:
				batch = append(batch, r)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		b.flush(batch)
		clear(batch)
	}
}

// flush adds the batch and answers every request, also if AddBatch panics.
func (b *txBatcher) flush(batch []txReq) {
	errs := make([]error, len(batch))
	for i := range errs {
		errs[i] = errBatchPanic
	}
	defer func() {
		for i, r := range batch {
			r.done <- errs[i]
		}
	}()
	defer b.n.recoverPanic("tx batch")
	// Validators run concurrently and a sender's txs may come from
	// several peers, so a batch can hold nonce n+1 before n: add each
	// sender's in nonce order, or n+1 would wait as gapped (and, under
	// load, overflow the pool's bounded gapped set).
	order := make([]int, len(batch))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		tx, ty := batch[x].tx, batch[y].tx
		if c := bytes.Compare(tx.PubKey[:], ty.PubKey[:]); c != 0 {
			return c
		}
		return cmp.Compare(tx.Nonce, ty.Nonce)
	})
	txs := make([]*consensus.Tx, len(batch))
	for i, j := range order {
		txs[i] = batch[j].tx
	}
	_, got := b.n.pool.AddBatch(txs)
	for i, j := range order {
		errs[j] = got[i]
	}
}
