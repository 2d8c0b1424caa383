package mempool

import (
	"errors"

	"github.com/cairn-chain/cairn/consensus"
)

// The recently-rejected filter (Bitcoin Core's recentRejects) remembers ids
// of txs refused for a reason that only a new tip can change, so a peer that
// replays them costs a map lookup instead of a state read and a signature
// check. What goes in, and why:
//
//   - a bad signature or public key: the id hashes the whole encoding,
//     signature included, so the verdict is a property of the id; a forged
//     variant of an honest tx has a different id and cannot block it;
//   - nonce below the account nonce: nonces only grow until a reorg;
//   - amount + fee above the sender's whole balance: balances move only
//     with the tip;
//   - a nonce so far ahead that no pool content could admit it at this tip
//     (beyond MaxPerSender + MaxNonceGap).
//
// What stays out: refusals that depend on the pool's own content, which can
// change between two blocks (pool or queue full, underpriced replacement,
// sender limits, a nonce gap or balance shortfall that earlier pool txs of
// the sender cause); remembering those would refuse an honest tx that would
// fit a moment later. Stateless refusals (size, chain id, fee, memo) stay out
// too: they are cheaper to check again than the id is to compute, and such
// txs cost their sender nothing to make, so they would only flush the filter.
//
// Every block notification clears the filter. A state-based refusal is only
// remembered if no notification ran since its state was read, so no entry
// outlives the tip it was decided on.

// DefaultRejectCacheSize is the default Config.RejectCacheSize.
const DefaultRejectCacheSize = 50_000

// rejectCode is a remembered refusal's code: exactly one field is set.
type rejectCode struct {
	rule consensus.ErrorCode
	pool ErrorCode
}

// err rebuilds an error carrying the remembered code for tx id.
func (c rejectCode) err(id consensus.Hash) error {
	const msg = "refused at this tip; not checked again before the next block"
	var inner error
	if c.rule != 0 {
		inner = consensus.RuleError{Code: c.rule, Msg: msg}
	} else {
		inner = Error{Code: c.pool, Msg: msg}
	}
	return RecentlyRejectedError{ID: id, err: inner}
}

// rejectFilter is a bounded id -> code map that forgets the oldest first.
type rejectFilter struct {
	max  int
	m    map[consensus.Hash]rejectCode
	ring []consensus.Hash
	next int
}

func newRejectFilter(n int) rejectFilter {
	return rejectFilter{max: n, m: make(map[consensus.Hash]rejectCode)}
}

func (f *rejectFilter) get(id consensus.Hash) (rejectCode, bool) {
	c, ok := f.m[id]
	return c, ok
}

func (f *rejectFilter) add(id consensus.Hash, c rejectCode) {
	if _, ok := f.m[id]; ok {
		f.m[id] = c
		return
	}
	if len(f.ring) < f.max {
		f.ring = append(f.ring, id)
	} else {
		delete(f.m, f.ring[f.next])
		f.ring[f.next] = id
		f.next = (f.next + 1) % len(f.ring)
	}
	f.m[id] = c
}

func (f *rejectFilter) reset() {
	clear(f.m)
	f.ring = f.ring[:0]
	f.next = 0
}

func (f *rejectFilter) len() int { return len(f.m) }

// intrinsicReject reports the code of a refusal that holds for the tx
// whatever the state: its signature or public key is bad.
func intrinsicReject(err error) (rejectCode, bool) {
	switch c := consensus.CodeOf(err); c {
	case consensus.ErrBadSignature, consensus.ErrBadPubKey:
		return rejectCode{rule: c}, true
	}
	return rejectCode{}, false
}

// tipBoundReject reports the code of a state refusal of e against acct that
// no change of the pool's content can undo, only a new tip.
func (p *Pool) tipBoundReject(e *entry, acct consensus.Account, err error) (rejectCode, bool) {
	if c := consensus.CodeOf(err); c == consensus.ErrInsufficientFunds {
		// Only a shortfall of the tx alone; one caused by earlier pool
		// txs of the sender goes away if those are replaced or dropped.
		return rejectCode{rule: c}, e.cost > acct.Balance
	}
	var pe Error
	if !errors.As(err, &pe) {
		return rejectCode{}, false
	}
	switch pe.Code {
	case ErrNonceTooLow:
		return rejectCode{pool: pe.Code}, true
	case ErrNonceTooHigh:
		// The sender's pending run can grow to MaxPerSender at most.
		bound := uint64(p.cfg.MaxPerSender) + p.cfg.MaxNonceGap
		if bound < p.cfg.MaxNonceGap {
			return rejectCode{}, false // no real bound configured
		}
		return rejectCode{pool: pe.Code}, e.nonce()-acct.Nonce > bound
	}
	return rejectCode{}, false
}

// rejectLocked counts a refusal of e and remembers it if it qualifies. A
// state-based refusal needs gen, the notification generation before its
// state read, to still be current.
func (p *Pool) rejectLocked(e *entry, acct consensus.Account, gen uint64, err error) {
	p.countRejectLocked(err)
	if c, ok := intrinsicReject(err); ok {
		p.rejects.add(e.id, c)
		return
	}
	if c, ok := p.tipBoundReject(e, acct, err); ok && p.gen.Load() == gen {
		p.rejects.add(e.id, c)
	}
}

// reject is rejectLocked for callers that do not hold the lock.
func (p *Pool) reject(e *entry, acct consensus.Account, gen uint64, err error) {
	p.mu.Lock()
	p.rejectLocked(e, acct, gen, err)
	p.mu.Unlock()
}
