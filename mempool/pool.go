package mempool

import (
	"container/heap"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// StateReader is what the pool needs from the chain: account state at the
// current tip. Absent accounts are the zero Account.
type StateReader interface {
	Account(addr consensus.Address) (consensus.Account, error)
}

// Config configures a Pool. Params and State are required; zero values of the
// other fields select the documented defaults.
type Config struct {
	Params *consensus.Params
	State  StateReader
	Logger *slog.Logger

	Now                func() time.Time // default time.Now
	MaxBytes           int              // encoded bytes of all pool txs, default 64 MiB
	MaxPerSender       int              // pending + queued txs per sender, default 64
	MaxQueuedPerSender int              // future-nonce txs per sender, default 16
	// MaxNonceGap rejects nonce > account nonce + pending count + MaxNonceGap.
	MaxNonceGap        uint64        // default 64
	Expiry             time.Duration // Expire drops txs older than this, default 3h
	MinRelayFee        uint64        // default Params.MinTxFee
	ReplaceBumpPercent int           // fee increase a replacement needs, default 10
	// OnAccept, if set, is called outside the pool lock for every tx Add
	// accepts (not for txs re-added after a disconnected block).
	OnAccept func(tx *consensus.Tx)
}

// Defaults applied by New.
const (
	DefaultMaxBytes           = 64 << 20
	DefaultMaxPerSender       = 64
	DefaultMaxQueuedPerSender = 16
	DefaultMaxNonceGap        = 64
	DefaultExpiry             = 3 * time.Hour
	DefaultReplaceBumpPercent = 10
)

// stateRetries bounds how often Add re-reads account state because a block
// notification ran while it was reading.
const stateRetries = 3

// verifiedCap bounds the ids remembered as signature-checked after they
// leave the pool, enough for a few reorged blocks.
const verifiedCap = 1 << 15

// Pool is a transaction pool. It is safe for concurrent use.
type Pool struct {
	cfg Config
	log *slog.Logger
	// gen changes on every block notification so Add can tell that the state
	// it read may predate the pool's latest re-validation.
	gen atomic.Uint64

	mu       sync.RWMutex
	all      map[consensus.Hash]*entry
	senders  map[consensus.Address]*senderList
	byTo     map[consensus.Address]map[consensus.Hash]*entry
	evict    evictHeap
	bytes    int
	seq      uint64
	verified idSet
	stats    counters
}

// New returns an empty pool. It panics if cfg.Params or cfg.State is nil.
func New(cfg Config) *Pool {
	if cfg.Params == nil || cfg.State == nil {
		panic("mempool: Config.Params and Config.State are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxPerSender <= 0 {
		cfg.MaxPerSender = DefaultMaxPerSender
	}
	if cfg.MaxQueuedPerSender <= 0 {
		cfg.MaxQueuedPerSender = DefaultMaxQueuedPerSender
	}
	if cfg.MaxNonceGap == 0 {
		cfg.MaxNonceGap = DefaultMaxNonceGap
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.MinRelayFee == 0 {
		cfg.MinRelayFee = cfg.Params.MinTxFee
	}
	if cfg.ReplaceBumpPercent <= 0 {
		cfg.ReplaceBumpPercent = DefaultReplaceBumpPercent
	}
	return &Pool{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "mempool"),
		all:      make(map[consensus.Hash]*entry),
		senders:  make(map[consensus.Address]*senderList),
		byTo:     make(map[consensus.Address]map[consensus.Hash]*entry),
		verified: newIDSet(verifiedCap),
		stats:    counters{rejected: make(map[string]uint64)},
	}
}

// Add validates tx against the tip state and pool policy and stores it.
// It returns the tx id (also on most rejections). Pool policy failures are
// Error values; consensus failures are consensus.RuleError (insufficient
// funds is reported as consensus.ErrInsufficientFunds).
func (p *Pool) Add(tx *consensus.Tx) (consensus.Hash, error) {
	if tx == nil {
		return consensus.Hash{}, errors.New("mempool: nil tx")
	}
	e, err := p.prepare(tx)
	if err != nil {
		p.countReject(err)
		return e.id, err
	}
	known, verified := p.lookup(e.id)
	if known {
		err := poolErr(ErrAlreadyKnown, "tx %s", e.id)
		p.countReject(err)
		return e.id, err
	}
	// Verify outside the lock so concurrent submitters use every core.
	if !verified {
		if err := tx.VerifySignature(); err != nil {
			p.countReject(err)
			return e.id, err
		}
	}
	if err := p.addWithState(e); err != nil {
		p.countReject(err)
		return e.id, err
	}
	if p.cfg.OnAccept != nil {
		p.cfg.OnAccept(tx)
	}
	return e.id, nil
}

// prepare runs the stateless checks and derives the entry's fields.
func (p *Pool) prepare(tx *consensus.Tx) (*entry, error) {
	e := &entry{tx: tx, heapIdx: -1}
	// Size first: it is the cheapest check and bounds the hashing below.
	if e.size = tx.EncodedSize(); e.size > consensus.MaxTxSize {
		return e, poolErr(ErrTooBig, "%d bytes, max %d", e.size, consensus.MaxTxSize)
	}
	if err := consensus.CheckTxSanity(tx, p.cfg.Params); err != nil {
		return e, fmt.Errorf("mempool: %w", err)
	}
	if tx.Fee < p.cfg.MinRelayFee {
		return e, poolErr(ErrFeeBelowRelay, "fee %d below relay minimum %d", tx.Fee, p.cfg.MinRelayFee)
	}
	e.id = tx.ID()
	e.sender = tx.Sender()
	e.cost = tx.Amount + tx.Fee
	return e, nil
}

// addWithState reads the sender's state outside the lock and inserts e. If a
// block notification ran meanwhile, the read may predate the pool's view, so
// it reads again.
func (p *Pool) addWithState(e *entry) error {
	for attempt := 0; ; attempt++ {
		gen := p.gen.Load()
		acct, err := p.cfg.State.Account(e.sender)
		if err != nil {
			return fmt.Errorf("mempool: read account %x: %w", e.sender, err)
		}
		p.mu.Lock()
		if p.gen.Load() != gen && attempt < stateRetries {
			p.mu.Unlock()
			continue
		}
		err = p.addLocked(e, acct)
		if err == nil {
			p.stats.accepted++
		}
		p.mu.Unlock()
		return err
	}
}

// addLocked applies every state-dependent rule to e and, if it passes,
// commits it together with the replacements, drops and evictions it causes.
func (p *Pool) addLocked(e *entry, acct consensus.Account) error {
	if _, ok := p.all[e.id]; ok {
		return poolErr(ErrAlreadyKnown, "tx %s", e.id)
	}
	// acct is the tip's view: first drop what it already invalidates.
	p.syncSenderLocked(e.sender, acct)
	l := p.senders[e.sender]
	if l == nil {
		l = &senderList{acct: acct}
	}
	nonce := e.nonce()
	if nonce < acct.Nonce {
		return poolErr(ErrNonceTooLow, "nonce %d, account %x is at %d", nonce, e.sender, acct.Nonce)
	}
	pending := uint64(l.pendingCount())
	limit := pending + p.cfg.MaxNonceGap
	if limit < pending {
		limit = ^uint64(0) // a huge configured gap means no bound
	}
	if ahead := nonce - acct.Nonce; ahead > limit {
		return poolErr(ErrNonceTooHigh, "nonce %d, account at %d with %d pending, max gap %d",
			nonce, acct.Nonce, pending, p.cfg.MaxNonceGap)
	}
	idx, found := l.find(nonce)
	var old *entry
	if found {
		old = l.txs[idx]
		if min := replaceMinFee(old.tx.Fee, p.cfg.ReplaceBumpPercent); e.tx.Fee < min {
			return poolErr(ErrReplacementUnderpriced, "fee %d, replacing fee %d needs at least %d",
				e.tx.Fee, old.tx.Fee, min)
		}
	} else {
		if len(l.txs) >= p.cfg.MaxPerSender {
			return poolErr(ErrSenderLimit, "sender %x has %d txs, max %d", e.sender, len(l.txs), p.cfg.MaxPerSender)
		}
		queued := len(l.txs) - int(pending)
		if nonce-acct.Nonce > pending && queued >= p.cfg.MaxQueuedPerSender {
			return poolErr(ErrSenderLimit, "sender %x has %d queued txs, max %d", e.sender, queued, p.cfg.MaxQueuedPerSender)
		}
	}

	// The sender's list as it would be, to check funds in nonce order.
	view := make([]*entry, 0, len(l.txs)+1)
	view = append(view, l.txs[:idx]...)
	view = append(view, e)
	if found {
		view = append(view, l.txs[idx+1:]...)
	} else {
		view = append(view, l.txs[idx:]...)
	}
	keep := affordableLen(view, acct.Balance)
	if keep <= idx {
		return consensus.RuleError{Code: consensus.ErrInsufficientFunds,
			Msg: fmt.Sprintf("balance %d does not cover tx %s and the sender's %d earlier pool txs", acct.Balance, e.id, idx)}
	}
	dropped := view[keep:] // later txs the new one makes unaffordable

	freed := 0
	if old != nil {
		freed += old.size
	}
	for _, d := range dropped {
		freed += d.size
	}
	var evicted []*entry
	if need := p.bytes + e.size - freed - p.cfg.MaxBytes; need > 0 {
		var err error
		if evicted, err = p.planEviction(e, old, dropped, need); err != nil {
			return err
		}
	}

	if old != nil {
		p.removeLocked(old)
		p.stats.replaced++
	}
	for _, d := range dropped {
		p.removeLocked(d)
		p.stats.invalidated++
	}
	for _, v := range evicted {
		p.removeLocked(v)
		p.stats.evicted++
	}
	p.insertLocked(e, acct)
	if len(evicted) > 0 {
		p.log.Debug("evicted txs for capacity", "count", len(evicted), "bytes", p.bytes)
	}
	return nil
}

// replaceMinFee is the smallest fee that may replace oldFee: oldFee *
// (100+bump) / 100, and always more than oldFee.
func replaceMinFee(oldFee uint64, bump int) uint64 {
	hi, lo := bits.Mul64(oldFee, uint64(100+bump))
	if hi >= 100 {
		return ^uint64(0) // the quotient does not fit: no fee can replace
	}
	q, _ := bits.Div64(hi, lo, 100)
	return max(q, oldFee+1)
}

// insertLocked stores e; its nonce must be free in the sender's list.
func (p *Pool) insertLocked(e *entry, acct consensus.Account) {
	l := p.senders[e.sender]
	if l == nil {
		l = &senderList{}
		p.senders[e.sender] = l
	}
	l.acct = acct
	i, _ := l.find(e.nonce())
	l.txs = append(l.txs, nil)
	copy(l.txs[i+1:], l.txs[i:])
	l.txs[i] = e
	p.seq++
	e.seq = p.seq
	e.added = p.cfg.Now()
	p.all[e.id] = e
	to := p.byTo[e.tx.To]
	if to == nil {
		to = make(map[consensus.Hash]*entry)
		p.byTo[e.tx.To] = to
	}
	to[e.id] = e
	heap.Push(&p.evict, e)
	p.bytes += e.size
}

// removeLocked deletes e alone; callers decide about its sender's later txs.
func (p *Pool) removeLocked(e *entry) {
	if _, ok := p.all[e.id]; !ok {
		return
	}
	delete(p.all, e.id)
	if l := p.senders[e.sender]; l != nil {
		if i, ok := l.find(e.nonce()); ok && l.txs[i] == e {
			l.txs = slices.Delete(l.txs, i, i+1)
		}
		if len(l.txs) == 0 {
			delete(p.senders, e.sender)
		}
	}
	if to := p.byTo[e.tx.To]; to != nil {
		delete(to, e.id)
		if len(to) == 0 {
			delete(p.byTo, e.tx.To)
		}
	}
	if e.heapIdx >= 0 {
		heap.Remove(&p.evict, e.heapIdx)
	}
	p.bytes -= e.size
}

// removeWithTailLocked removes e and its sender's higher-nonce txs, which
// could never execute without it. It returns how many txs it removed.
func (p *Pool) removeWithTailLocked(e *entry) int {
	l := p.senders[e.sender]
	if l == nil {
		return 0
	}
	i, ok := l.find(e.nonce())
	if !ok || l.txs[i] != e {
		return 0
	}
	tail := append([]*entry(nil), l.txs[i:]...)
	for _, x := range tail {
		p.removeLocked(x)
	}
	return len(tail)
}

// syncSenderLocked re-checks a sender's txs against acct, the tip state:
// used nonces go, and so does whatever the balance no longer covers.
func (p *Pool) syncSenderLocked(sender consensus.Address, acct consensus.Account) {
	l := p.senders[sender]
	if l == nil {
		return
	}
	l.acct = acct
	i, _ := l.find(acct.Nonce)
	stale := append([]*entry(nil), l.txs[:i]...)
	rest := l.txs[i:]
	poor := append([]*entry(nil), rest[affordableLen(rest, acct.Balance):]...)
	for _, e := range stale {
		p.removeLocked(e)
		p.stats.invalidated++
	}
	for _, e := range poor {
		p.removeLocked(e)
		p.stats.invalidated++
	}
}
