package mempool

import (
	"errors"
	"maps"

	"github.com/cairn-chain/cairn/consensus"
)

// Stats is a snapshot of the pool's size and lifetime counters.
type Stats struct {
	Count   int // txs in the pool
	Bytes   int // their encoded size
	Pending int // txs that continue their sender's account nonce without a gap
	Queued  int // txs behind a nonce gap
	// QueuedBytes is the encoded size of the queued txs, which count
	// against Config.MaxQueuedBytes.
	QueuedBytes int
	Senders     int // distinct senders
	// RejectCached is how many ids the recently-rejected filter holds now.
	RejectCached int

	Accepted    uint64            // txs Add accepted
	Rejected    map[string]uint64 // Add rejections by code name, e.g. "ErrPoolFull", "ErrBadSignature"
	Replaced    uint64            // txs replaced by a higher-fee tx with the same sender and nonce
	Evicted     uint64            // txs evicted to make room (tails included)
	Expired     uint64            // txs dropped by Expire (tails included)
	Included    uint64            // txs removed because a connected block contains them
	Invalidated uint64            // txs dropped as no longer valid: nonce used or funds short
	Reinjected  uint64            // txs re-added from disconnected blocks
	// SigVerifications counts the signatures the pool verified (Add and
	// re-added txs of disconnected blocks), so tests can assert work done.
	SigVerifications uint64
	// SigCacheHits counts signatures the shared SigCache vouched for, so
	// the pool did not verify them (not counted in SigVerifications).
	SigCacheHits uint64
	// SigBatched counts the signatures AddBatch verified in batches (also
	// counted in SigVerifications), SigBatches the batches.
	SigBatched, SigBatches uint64
	// RejectedCacheHits counts Add calls answered by the recently-rejected
	// filter (also counted in Rejected under the original code).
	RejectedCacheHits uint64
}

type counters struct {
	accepted, replaced, evicted, expired, included, invalidated, reinjected uint64
	rejected                                                                map[string]uint64
}

// Stats returns current sizes and counters.
func (p *Pool) Stats() Stats {
	p.mu.RLock()
	defer p.mu.RUnlock()
	s := Stats{
		Count:        len(p.all),
		Bytes:        p.bytes,
		Pending:      len(p.all) - p.queuedCount,
		Queued:       p.queuedCount,
		QueuedBytes:  p.queuedBytes,
		Senders:      len(p.senders),
		RejectCached: p.rejects.len(),
		Accepted:     p.stats.accepted,
		Rejected:     maps.Clone(p.stats.rejected),
		Replaced:     p.stats.replaced,
		Evicted:      p.stats.evicted,
		Expired:      p.stats.expired,
		Included:     p.stats.included,
		Invalidated:  p.stats.invalidated,
		Reinjected:   p.stats.reinjected,

		SigVerifications:  p.sigChecks.Load(),
		SigCacheHits:      p.sigCacheHits.Load(),
		SigBatched:        p.sigBatched.Load(),
		SigBatches:        p.sigBatches.Load(),
		RejectedCacheHits: p.cacheHits.Load(),
	}
	return s
}

func (p *Pool) countReject(err error) {
	p.mu.Lock()
	p.countRejectLocked(err)
	p.mu.Unlock()
}

func (p *Pool) countRejectLocked(err error) {
	reason := "Other" // e.g. the StateReader failed
	var pe Error
	if errors.As(err, &pe) {
		reason = pe.Code.String()
	} else if code := consensus.CodeOf(err); code != 0 {
		reason = code.String()
	}
	p.stats.rejected[reason]++
}
