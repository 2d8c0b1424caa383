package mempool

import (
	"container/heap"
	"math/bits"

	"github.com/cairn-chain/cairn/consensus"
)

// Template returns executable txs for a block at the tip: highest fee rate
// (fee per encoded byte) first, each sender's in nonce order, like geth's
// TransactionsByPriceAndNonce. At most maxTxs txs of at most maxBytes encoded
// bytes in all; the limits cover the returned txs only, so the caller
// reserves room for the header and coinbase. A limit <= 0 means the
// network's block limit minus that room.
//
// Each sender's run starts at its account nonce as the StateReader reports it
// now and its own balance covers it, ignoring incoming transfers, so the
// result applies in order on the tip state whatever notifications are still
// in flight. A sender whose txs the pool still holds as queued waits until
// the pool hears of the block that fills the gap. The returned fees sum
// without overflow: a tx whose fee would overflow the total is left out with
// the rest of its sender's run.
func (p *Pool) Template(maxTxs, maxBytes int) []*consensus.Tx {
	if maxTxs <= 0 {
		maxTxs = p.cfg.Params.MaxBlockTxs - 1
	}
	if maxBytes <= 0 {
		maxBytes = p.cfg.Params.MaxBlockSize - blockOverhead
	}
	if maxTxs <= 0 || maxBytes < minTransferSize {
		return nil
	}

	// Copy each sender's pending run; the state is read without the lock.
	p.mu.RLock()
	runs := make([]senderRun, 0, len(p.senders))
	for addr, l := range p.senders {
		n := l.pendingCount()
		if n == 0 {
			continue
		}
		runs = append(runs, senderRun{addr: addr, txs: append([]*entry(nil), l.txs[:n]...)})
	}
	p.mu.RUnlock()

	h := make(runHeap, 0, len(runs))
	for i := range runs {
		r := &runs[i]
		acct, err := p.cfg.State.Account(r.addr)
		if err != nil {
			p.log.Warn("template: cannot read account state", "addr", r.addr, "err", err)
			continue
		}
		if r.executable(acct) {
			h = append(h, r)
		}
	}
	heap.Init(&h)

	out := make([]*consensus.Tx, 0, min(maxTxs, 1024))
	size := 0
	var fees uint64
	for h.Len() > 0 && len(out) < maxTxs && maxBytes-size >= minTransferSize {
		r := h[0]
		e := r.txs[0]
		sum, carry := bits.Add64(fees, e.tx.Fee, 0)
		if size+e.size > maxBytes || carry != 0 {
			// The rest of this sender's run cannot go in without e. Fees
			// that overflow (custom networks with huge balances) would
			// make the coinbase unpayable; the miner checks subsidy + fees.
			heap.Pop(&h)
			continue
		}
		out = append(out, e.tx)
		size += e.size
		fees = sum
		if r.txs = r.txs[1:]; len(r.txs) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return out
}

var (
	// minTransferSize is the encoding of a transfer with an empty memo.
	minTransferSize = (&consensus.Tx{Kind: consensus.TxTransfer}).EncodedSize()
	// blockOverhead is a block's header, tx count and largest coinbase.
	blockOverhead = consensus.HeaderSize + 4 +
		(&consensus.Tx{Kind: consensus.TxCoinbase, Memo: make([]byte, consensus.MaxMemoSize)}).EncodedSize()
)

// senderRun is one sender's txs still to be placed in a template.
type senderRun struct {
	addr consensus.Address
	txs  []*entry
}

// executable trims the run to what applies on acct: it skips nonces the
// chain already used (a notification may still be on its way), requires the
// first to match the account nonce, and stops where the balance runs out.
func (r *senderRun) executable(acct consensus.Account) bool {
	i := 0
	for i < len(r.txs) && r.txs[i].nonce() < acct.Nonce {
		i++
	}
	r.txs = r.txs[i:]
	if len(r.txs) == 0 || r.txs[0].nonce() != acct.Nonce {
		return false
	}
	r.txs = r.txs[:affordableLen(r.txs, acct.Balance)]
	return len(r.txs) > 0
}

// runHeap is a max-heap of sender runs by their next tx's fee rate; earlier
// arrival wins ties so the order is deterministic.
type runHeap []*senderRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	a, b := h[i].txs[0], h[j].txs[0]
	if rateLess(b, a) {
		return true
	}
	if rateLess(a, b) {
		return false
	}
	return a.seq < b.seq
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*senderRun)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
