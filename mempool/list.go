package mempool

import (
	"math/bits"
	"sort"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// entry is one pool transaction with the values the pool derives from it once.
type entry struct {
	tx      *consensus.Tx
	id      consensus.Hash
	sender  consensus.Address
	size    int
	cost    uint64 // amount + fee; CheckTxSanity rules out overflow
	added   time.Time
	seq     uint64 // arrival order: breaks fee-rate ties deterministically
	heapIdx int    // position in its eviction heap, -1 when not in it
	// queued: behind a nonce gap at the sender's last read state; the entry
	// then sits in the queued heap and counts against the queued caps.
	queued bool
}

func (e *entry) nonce() uint64 { return e.tx.Nonce }

// rateLess reports whether a pays a lower fee per encoded byte than b.
// It cross-multiplies in 128 bits: fee * size can exceed 64 bits.
func rateLess(a, b *entry) bool {
	ahi, alo := bits.Mul64(a.tx.Fee, uint64(b.size))
	bhi, blo := bits.Mul64(b.tx.Fee, uint64(a.size))
	return ahi < bhi || (ahi == bhi && alo < blo)
}

// senderList is one sender's pool txs sorted by nonce, nonces unique.
type senderList struct {
	acct consensus.Account // the state last read for this sender
	txs  []*entry
}

// find returns the index of nonce, or where it would be inserted.
func (l *senderList) find(nonce uint64) (int, bool) { return findNonce(l.txs, nonce) }

// pendingCount is the length of the run that continues the account nonce.
func (l *senderList) pendingCount() int { return pendingRun(l.txs, l.acct.Nonce) }

// findNonce returns the index of nonce in nonce-sorted txs, or where it
// would be inserted.
func findNonce(txs []*entry, nonce uint64) (int, bool) {
	i := sort.Search(len(txs), func(i int) bool { return txs[i].nonce() >= nonce })
	return i, i < len(txs) && txs[i].nonce() == nonce
}

// pendingRun is the length of the leading run of txs that continues nonce.
func pendingRun(txs []*entry, nonce uint64) int {
	n := 0
	for n < len(txs) && txs[n].nonce() == nonce+uint64(n) {
		n++
	}
	return n
}

// syncedTxs is l's list as acct leaves it: without used nonces and without
// what the balance no longer covers. It shares l's backing array.
func syncedTxs(l *senderList, acct consensus.Account) []*entry {
	if l == nil {
		return nil
	}
	i, _ := l.find(acct.Nonce)
	rest := l.txs[i:]
	return rest[:affordableLen(rest, acct.Balance)]
}

// affordableLen is how many leading txs of list the balance covers, summing
// costs in nonce order whatever the gaps: a queued tx is only worth keeping
// if it will still be affordable once the gap before it is filled.
func affordableLen(list []*entry, balance uint64) int {
	var spent uint64
	for i, e := range list {
		s := spent + e.cost
		if s < spent || s > balance {
			return i
		}
		spent = s
	}
	return len(list)
}

// evictHeap is a min-heap over every pool tx: lowest fee rate first and, at
// equal rates, the newest first so incumbents win ties.
type evictHeap []*entry

func (h evictHeap) Len() int { return len(h) }
func (h evictHeap) Less(i, j int) bool {
	if rateLess(h[i], h[j]) {
		return true
	}
	if rateLess(h[j], h[i]) {
		return false
	}
	return h[i].seq > h[j].seq
}
func (h evictHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *evictHeap) Push(x any) {
	e := x.(*entry)
	e.heapIdx = len(*h)
	*h = append(*h, e)
}
func (h *evictHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.heapIdx = -1
	return e
}

// idSet remembers up to max ids, forgetting the oldest first.
type idSet struct {
	max  int
	ids  map[consensus.Hash]struct{}
	ring []consensus.Hash
	next int
}

func newIDSet(n int) idSet {
	return idSet{max: n, ids: make(map[consensus.Hash]struct{})}
}

func (s *idSet) has(id consensus.Hash) bool {
	_, ok := s.ids[id]
	return ok
}

func (s *idSet) add(id consensus.Hash) {
	if s.has(id) {
		return
	}
	if len(s.ring) < s.max {
		s.ring = append(s.ring, id)
	} else {
		delete(s.ids, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.ids[id] = struct{}{}
}
