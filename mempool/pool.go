package mempool

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-chain/cairn/chain/sigcache"
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
	MaxQueuedPerSender int              // future-nonce txs per sender, default 48
	// MaxQueued and MaxQueuedBytes cap the queued (gapped) txs of all
	// senders together, geth's GlobalQueue: a gapped tx may only evict a
	// cheaper gapped tx, never an executable one, and executable txs evict
	// gapped ones first. Defaults 16,384 txs and MaxBytes/4 (at most MaxBytes).
	MaxQueued      int
	MaxQueuedBytes int
	// MaxNonceGap rejects nonce > account nonce + pending count + MaxNonceGap.
	MaxNonceGap        uint64        // default 64
	Expiry             time.Duration // Expire drops txs older than this, default 3h
	MinRelayFee        uint64        // default Params.MinTxFee
	ReplaceBumpPercent int           // fee increase a replacement needs, default 10
	// RejectCacheSize bounds the recently-rejected filter: ids refused for
	// reasons only a new tip can change (see reject.go), answered without
	// checking again until the next block notification. Default 50,000.
	RejectCacheSize int
	// OnAccept, if set, is called outside the pool lock for every tx Add
	// accepts (not for txs re-added after a disconnected block).
	OnAccept func(tx *consensus.Tx)
	// SigCache, if set, is shared with the chain: the pool records every
	// signature it verifies, so a block of pool txs connects without
	// verifying them again, and skips verifying ids it holds. Nil = none.
	SigCache *sigcache.Cache
	// Verifier batch-verifies the signatures of an AddBatch. Nil: New
	// creates one with crypto/rand coefficients.
	Verifier *consensus.BatchVerifier
}

// Defaults applied by New.
const (
	DefaultMaxBytes           = 64 << 20
	DefaultMaxPerSender       = 64
	DefaultMaxQueuedPerSender = 48
	DefaultMaxQueued          = 16384
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
	// gen changes on every block notification, under mu, so Add can tell
	// that the state it read may predate the pool's latest re-validation.
	gen atomic.Uint64
	// sigChecks counts signature verifications, sigCacheHits signatures
	// the shared SigCache vouched for, and cacheHits answers from the
	// recently-rejected filter; all happen outside mu.
	sigChecks, sigCacheHits, cacheHits atomic.Uint64
	sigBatched, sigBatches             atomic.Uint64

	mu          sync.RWMutex
	all         map[consensus.Hash]*entry
	senders     map[consensus.Address]*senderList
	byTo        map[consensus.Address]map[consensus.Hash]*entry
	pendingHeap evictHeap // executable txs
	queuedHeap  evictHeap // txs behind a nonce gap
	bytes       int
	queuedBytes int
	queuedCount int
	seq         uint64
	verified    idSet
	rejects     rejectFilter
	stats       counters
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
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = DefaultMaxQueued
	}
	if cfg.MaxQueuedBytes <= 0 {
		cfg.MaxQueuedBytes = cfg.MaxBytes / 4
	}
	cfg.MaxQueuedBytes = min(cfg.MaxQueuedBytes, cfg.MaxBytes)
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
	if cfg.RejectCacheSize <= 0 {
		cfg.RejectCacheSize = DefaultRejectCacheSize
	}
	if cfg.Verifier == nil {
		cfg.Verifier = consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
	}
	return &Pool{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "mempool"),
		all:      make(map[consensus.Hash]*entry),
		senders:  make(map[consensus.Address]*senderList),
		byTo:     make(map[consensus.Address]map[consensus.Hash]*entry),
		verified: newIDSet(verifiedCap),
		rejects:  newRejectFilter(cfg.RejectCacheSize),
		stats:    counters{rejected: make(map[string]uint64)},
	}
}

// Add validates tx against the tip state and pool policy and stores it.
// It returns the tx id (also on most rejections). Pool policy failures are
// Error values; consensus failures are consensus.RuleError (insufficient
// funds is reported as consensus.ErrInsufficientFunds). A tx refused at this
// tip before for a reason only a new tip can change gets a
// RecentlyRejectedError that wraps the first refusal's code.
//
// Checks run cheapest first: stateless rules, the id against the pool and
// the recently-rejected filter, the sender's state and pool list, and only
// then the signature, so replaying mined or unfunded txs costs no signature
// check.
func (p *Pool) Add(tx *consensus.Tx) (consensus.Hash, error) {
	if tx == nil {
		return consensus.Hash{}, errNilTx
	}
	e, err := p.prepare(tx)
	return e.id, p.addPrepared(e, err, false)
}

var errNilTx = errors.New("mempool: nil tx")

// addPrepared is Add after prepare (whose error is prepErr); sigOK says a
// batch already verified e's signature.
func (p *Pool) addPrepared(e *entry, prepErr error, sigOK bool) error {
	if prepErr != nil {
		p.countReject(prepErr)
		return prepErr
	}
	known, verified, err := p.lookup(e.id)
	if known {
		err = poolErr(ErrAlreadyKnown, "tx %s", e.id)
	}
	if err != nil {
		p.countReject(err)
		return err
	}
	if err := p.admit(e, verified || sigOK); err != nil {
		return err
	}
	if p.cfg.OnAccept != nil {
		p.cfg.OnAccept(e.tx)
	}
	return nil
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

// admit checks e against the sender's state and pool list, verifies its
// signature unless verified, and inserts it, counting any refusal. State is
// read outside the lock; if a block notification ran meanwhile the read may
// predate the pool's view, so it reads again (a bounded number of times).
func (p *Pool) admit(e *entry, verified bool) error {
	gen, acct, err := p.readState(e.sender)
	if err != nil {
		p.countReject(err)
		return err
	}
	// Everything but eviction, under the read lock, before the signature.
	// A refusal here is the one addLocked would give at this moment.
	for attempt := 0; ; attempt++ {
		p.mu.RLock()
		_, err = p.checkLocked(e, acct)
		stale := p.gen.Load() != gen
		p.mu.RUnlock()
		if err == nil {
			break
		}
		if !stale || attempt >= stateRetries {
			p.reject(e, acct, gen, err)
			return err
		}
		if gen, acct, err = p.readState(e.sender); err != nil {
			p.countReject(err)
			return err
		}
	}
	if !verified {
		if err := p.verifySig(e); err != nil {
			p.reject(e, acct, gen, err)
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		p.mu.Lock()
		if p.gen.Load() != gen && attempt < stateRetries {
			p.mu.Unlock()
			if gen, acct, err = p.readState(e.sender); err != nil {
				p.countReject(err)
				return err
			}
			continue
		}
		err = p.addLocked(e, acct)
		if err != nil {
			p.rejectLocked(e, acct, gen, err)
		} else {
			p.stats.accepted++
		}
		p.mu.Unlock()
		return err
	}
}

// verifySig checks e's signature unless the shared SigCache holds its id,
// and records a good signature there.
func (p *Pool) verifySig(e *entry) error {
	if p.cfg.SigCache.Has(e.id) {
		p.sigCacheHits.Add(1)
		return nil
	}
	p.sigChecks.Add(1)
	if err := e.tx.VerifySignature(); err != nil {
		return err
	}
	p.cfg.SigCache.Add(e.id)
	return nil
}

// readState reads sender's account and the notification generation the
// read is at least as new as.
func (p *Pool) readState(sender consensus.Address) (uint64, consensus.Account, error) {
	gen := p.gen.Load()
	acct, err := p.cfg.State.Account(sender)
	if err != nil {
		return gen, acct, fmt.Errorf("mempool: read account %x: %w", sender, err)
	}
	return gen, acct, nil
}

// addPlan is what adding a tx changes besides inserting it.
type addPlan struct {
	old     *entry   // the tx it replaces (same sender and nonce), if any
	dropped []*entry // later txs of the sender it makes unaffordable
	queued  bool     // it will sit behind a nonce gap
}

// checkLocked applies every rule that needs the sender's state and pool list
// to e, except capacity, without changing the pool (a read lock will do).
// The sender's list is taken as syncSenderLocked(acct) would leave it.
func (p *Pool) checkLocked(e *entry, acct consensus.Account) (addPlan, error) {
	var plan addPlan
	if _, ok := p.all[e.id]; ok {
		return plan, poolErr(ErrAlreadyKnown, "tx %s", e.id)
	}
	txs := syncedTxs(p.senders[e.sender], acct)
	nonce := e.nonce()
	if nonce < acct.Nonce {
		return plan, poolErr(ErrNonceTooLow, "nonce %d, account %x is at %d", nonce, e.sender, acct.Nonce)
	}
	pending := uint64(pendingRun(txs, acct.Nonce))
	limit := pending + p.cfg.MaxNonceGap
	if limit < pending {
		limit = ^uint64(0) // a huge configured gap means no bound
	}
	ahead := nonce - acct.Nonce
	if ahead > limit {
		return plan, poolErr(ErrNonceTooHigh, "nonce %d, account at %d with %d pending, max gap %d",
			nonce, acct.Nonce, pending, p.cfg.MaxNonceGap)
	}
	idx, found := findNonce(txs, nonce)
	if found {
		plan.old = txs[idx]
		if min := replaceMinFee(plan.old.tx.Fee, p.cfg.ReplaceBumpPercent); e.tx.Fee < min {
			return plan, poolErr(ErrReplacementUnderpriced, "fee %d, replacing fee %d needs at least %d",
				e.tx.Fee, plan.old.tx.Fee, min)
		}
	} else {
		if len(txs) >= p.cfg.MaxPerSender {
			return plan, poolErr(ErrSenderLimit, "sender %x has %d txs, max %d", e.sender, len(txs), p.cfg.MaxPerSender)
		}
		queued := len(txs) - int(pending)
		if ahead > pending && queued >= p.cfg.MaxQueuedPerSender {
			return plan, poolErr(ErrSenderLimit, "sender %x has %d queued txs, max %d", e.sender, queued, p.cfg.MaxQueuedPerSender)
		}
	}
	// A replacement keeps its slot; a new tx is pending if it continues the run.
	plan.queued = ahead > pending

	// The sender's list as it would be, to check funds in nonce order.
	view := make([]*entry, 0, len(txs)+1)
	view = append(view, txs[:idx]...)
	view = append(view, e)
	if found {
		view = append(view, txs[idx+1:]...)
	} else {
		view = append(view, txs[idx:]...)
	}
	keep := affordableLen(view, acct.Balance)
	if keep <= idx {
		return plan, consensus.RuleError{Code: consensus.ErrInsufficientFunds,
			Msg: fmt.Sprintf("balance %d does not cover tx %s and the sender's %d earlier pool txs", acct.Balance, e.id, idx)}
	}
	plan.dropped = view[keep:]
	return plan, nil
}

// addLocked applies every state-dependent rule to e and, if it passes,
// commits it together with the replacements, drops and evictions it causes.
func (p *Pool) addLocked(e *entry, acct consensus.Account) error {
	if _, ok := p.all[e.id]; ok {
		return poolErr(ErrAlreadyKnown, "tx %s", e.id)
	}
	// acct is the tip's view: first drop what it already invalidates.
	p.syncSenderLocked(e.sender, acct)
	plan, err := p.checkLocked(e, acct)
	if err != nil {
		return err
	}
	var evicted []*entry
	if need := p.capacityNeed(e, plan); need.any() {
		if evicted, err = p.planEviction(e, plan, need); err != nil {
			return err
		}
	}

	if plan.old != nil {
		p.removeLocked(plan.old)
		p.stats.replaced++
	}
	for _, d := range plan.dropped {
		p.removeLocked(d)
		p.stats.invalidated++
	}
	for _, v := range evicted {
		p.removeLocked(v)
		p.stats.evicted++
	}
	p.insertLocked(e, acct)
	if len(evicted) > 0 {
		p.log.Debug("evicted txs for capacity", "count", len(evicted), "bytes", p.bytes, "queued_bytes", p.queuedBytes)
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
