package mempool

import (
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/cairn-chain/cairn/consensus"
)

// Get returns the pool tx with the given id.
func (p *Pool) Get(id consensus.Hash) (*consensus.Tx, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if e, ok := p.all[id]; ok {
		return e.tx, true
	}
	return nil, false
}

// Has reports whether the pool holds id.
func (p *Pool) Has(id consensus.Hash) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.all[id]
	return ok
}

// Count is the number of pool txs.
func (p *Pool) Count() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.all)
}

// Bytes is the encoded size of all pool txs.
func (p *Pool) Bytes() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.bytes
}

// Txs returns every pool tx, each sender's in nonce order so a peer that
// receives them in turn never sees a gap.
func (p *Pool) Txs() []*consensus.Tx {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*consensus.Tx, 0, len(p.all))
	for _, l := range p.sortedSendersLocked() {
		for _, e := range l.txs {
			out = append(out, e.tx)
		}
	}
	return out
}

// TxIDs returns the ids of every pool tx, in the order of Txs.
func (p *Pool) TxIDs() []consensus.Hash {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]consensus.Hash, 0, len(p.all))
	for _, l := range p.sortedSendersLocked() {
		for _, e := range l.txs {
			out = append(out, e.id)
		}
	}
	return out
}

// sortedSendersLocked orders sender lists by address, for stable output.
func (p *Pool) sortedSendersLocked() []*senderList {
	ls := make([]*senderList, 0, len(p.senders))
	for _, l := range p.senders {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool {
		a, b := ls[i].txs[0].sender, ls[j].txs[0].sender
		return string(a[:]) < string(b[:])
	})
	return ls
}

// NextNonce is the nonce a wallet should use next: the account nonce plus
// the sender's pool txs that continue it without a gap.
func (p *Pool) NextNonce(addr consensus.Address) (uint64, error) {
	acct, err := p.cfg.State.Account(addr)
	if err != nil {
		return 0, fmt.Errorf("mempool: read account %x: %w", addr, err)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := acct.Nonce
	if l := p.senders[addr]; l != nil {
		for i, _ := l.find(n); i < len(l.txs) && l.txs[i].nonce() == n; i++ {
			n++
		}
	}
	return n, nil
}

// PendingSpend is the amount + fee of all of addr's pool txs: what a wallet
// subtracts from the balance to show what is still spendable.
func (p *Pool) PendingSpend(addr consensus.Address) uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var sum uint64
	if l := p.senders[addr]; l != nil {
		for _, e := range l.txs {
			// Affordability keeps this within one balance; saturate anyway.
			var carry uint64
			if sum, carry = bits.Add64(sum, e.cost, 0); carry != 0 {
				return math.MaxUint64
			}
		}
	}
	return sum
}

// TxsTouching returns the pool txs addr sends (nonce order) followed by
// those it receives from others (arrival order), for wallet history.
func (p *Pool) TxsTouching(addr consensus.Address) []*consensus.Tx {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []*consensus.Tx
	if l := p.senders[addr]; l != nil {
		for _, e := range l.txs {
			out = append(out, e.tx)
		}
	}
	recv := make([]*entry, 0, len(p.byTo[addr]))
	for _, e := range p.byTo[addr] {
		if e.sender != addr {
			recv = append(recv, e)
		}
	}
	sort.Slice(recv, func(i, j int) bool { return recv[i].seq < recv[j].seq })
	for _, e := range recv {
		out = append(out, e.tx)
	}
	return out
}

// lookup reports whether id is in the pool and whether its signature is
// known to be valid (it left the pool by inclusion in a block). If the
// recently-rejected filter holds id, it returns the refusal to repeat, and
// counts it.
func (p *Pool) lookup(id consensus.Hash) (known, verified bool, rejected error) {
	p.mu.RLock()
	_, known = p.all[id]
	verified = p.verified.has(id)
	c, hit := p.rejects.get(id)
	p.mu.RUnlock()
	if !hit || known {
		return known, verified, nil
	}
	p.cacheHits.Add(1)
	return false, false, c.err(id)
}
