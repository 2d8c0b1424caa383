package chain

import (
	"errors"
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
	"github.com/syndtr/goleveldb/leveldb"
)

// ErrLowWork is returned by ProcessBlock for a block it refuses to store
// because its chain has less work than the tip and its header was not
// stored by header sync first (headers-first anti-DoS: a cheap fork must
// not cost disk or signature checks). It is not a rule violation.
var ErrLowWork = errors.New("block not stored: its chain has less work than the tip")

// ProcessBlock is the single entry point for new blocks, whether mined here,
// relayed by a peer, fetched by sync or submitted over RPC. It returns whether
// the block is now on the main chain and whether it was held as an orphan.
// Rule violations are consensus.RuleError values (errors.As).
//
// Checks run cheapest first and the expensive ones only for blocks that can
// matter: proof of work, then whether the block's chain could ever be
// worth connecting (ErrLowWork, checkpoints), and only then signatures.
// A block whose parent's body is missing waits as an orphan after the
// signature-free checks; its signatures are checked when it is adopted.
func (c *Chain) ProcessBlock(b *consensus.Block) (isMainChain, isOrphan bool, err error) {
	if c.cfg.Observer != nil {
		start := time.Now()
		defer func() { c.cfg.Observer.BlockProcessed(resultLabel(isMainChain, isOrphan, err), time.Since(start)) }()
	}
	hash := b.Hash()
	c.mu.RLock()
	n := c.index[hash]
	orphan := c.orphans.has(hash)
	parent := c.index[b.Header.PrevHash]
	// Node status changes under the write lock: read what we need now.
	stored := n != nil && n.haveData()
	wanted := n != nil
	parentReady := parent != nil && parent.haveData()
	var gate error
	if !stored && !orphan && parent != nil {
		gate = c.gateLocked(&b.Header, hash, n, parent)
	}
	c.mu.RUnlock()
	if stored || orphan {
		return false, orphan, ErrAlreadyHave
	}
	if err := consensus.CheckHeaderSanity(&b.Header, c.params); err != nil {
		return false, false, err
	}
	if gate != nil {
		return false, false, gate
	}
	if !parentReady {
		if !wanted && c.implausibleOrphan(&b.Header) {
			return false, false, ErrLowWork
		}
		if err := consensus.CheckBlockStructure(b, c.params); err != nil {
			return false, false, err
		}
		c.mu.Lock()
		if n := c.index[hash]; n != nil && n.haveData() {
			c.mu.Unlock()
			return false, false, ErrAlreadyHave
		}
		if p := c.index[b.Header.PrevHash]; p != nil && p.haveData() {
			// The parent's body arrived meanwhile: process normally.
			c.mu.Unlock()
			return c.ProcessBlock(b)
		}
		c.orphans.add(b, hash, c.cfg.Now())
		c.mu.Unlock()
		c.log.Debug("orphan block", "hash", hash, "parent", b.Header.PrevHash)
		return false, true, nil
	}
	// Stage 1 outside the lock: signatures dominate; they are verified as
	// one batch on all cores, minus those the mempool already verified.
	// Meanwhile this goroutine reads and applies the state the block
	// touches (the connect plan), so the commit is left with the write.
	ids, err := consensus.CheckBlockStructureIDs(b, c.params)
	if err != nil {
		return false, false, err
	}
	sigErr := make(chan error, 1)
	go func() { sigErr <- consensus.CheckBlockSignatures(b, ids, c.cfg.Verifier, c.sigCache()) }()
	plan := c.planAhead(b, hash, ids)
	if err := <-sigErr; err != nil {
		return false, false, err
	}
	var events []Event
	c.mu.Lock()
	c.plan = plan
	isMainChain, isOrphan, err = c.processLocked(b, hash, &events)
	c.plan = nil
	// Orphans waiting for this block go through the same door, outside the
	// lock, so their signatures never stall readers.
	adopt := c.orphans.takeChildren(hash)
	if err != nil {
		adopt = nil
	}
	c.unlockAndDeliver(events)
	for _, ob := range adopt {
		if _, _, oerr := c.ProcessBlock(ob); oerr != nil && !errors.Is(oerr, ErrAlreadyHave) {
			c.log.Info("orphan rejected", "hash", ob.Hash(), "err", oerr)
		}
	}
	if len(adopt) > 0 {
		isMainChain = c.IsMainChain(hash)
	}
	return isMainChain, isOrphan, err
}

// sigCache is the configured cache as block checks take it: a nil
// interface when there is none.
func (c *Chain) sigCache() consensus.SigCache {
	if c.cfg.SigCache == nil {
		return nil
	}
	return c.cfg.SigCache
}

// IsMainChain reports whether h is on the main chain.
func (c *Chain) IsMainChain(h consensus.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.onMain(c.index[h])
}

// gateLocked decides, before any expensive check, whether a block with
// header h under parent is worth validating at all. n is its header-only
// index entry, if header sync stored one: such a header was accepted as
// part of a branch with enough work, so its body is wanted.
func (c *Chain) gateLocked(h *consensus.Header, hash consensus.Hash, n, parent *node) error {
	if n != nil {
		return nil
	}
	if err := c.checkForkPoint(parent, hash); err != nil {
		return err
	}
	if parent == c.tip {
		return nil
	}
	work := consensus.WorkForBits(h.Bits)
	work.Add(work, &parent.work)
	// Equal work is stored (not connected): a competing block at the tip
	// cost its miner as much as ours, and the next block may make it win.
	if work.Cmp(&c.tip.work) < 0 {
		return ErrLowWork
	}
	return nil
}

// orphanWorkFactor: an orphan whose header sync did not ask for must claim
// at least 1/orphanWorkFactor of the tip's per-block work. A block near the
// tip has about the tip's difficulty (ASERT moves it slowly); a block at
// the easiest difficulty of a cheap fork does not get memory or hashing.
const orphanWorkFactor = 16

func (c *Chain) implausibleOrphan(h *consensus.Header) bool {
	tip := c.tipInfo.Load()
	w := consensus.WorkForBits(h.Bits)
	w.Mul(w, uint256.NewInt(orphanWorkFactor))
	return w.Cmp(consensus.WorkForBits(tip.Header.Bits)) < 0
}

// checkForkPoint enforces checkpoints for a new header at parent.height+1:
// it must not contradict one, and once the main chain has passed the last
// checkpoint no new block may fork off at or below it.
func (c *Chain) checkForkPoint(parent *node, hash consensus.Hash) error {
	height := parent.height + 1
	if err := consensus.CheckCheckpoint(c.params, height, hash); err != nil {
		return err
	}
	if cp, ok := c.params.LastCheckpoint(); ok && height <= cp.Height && c.tip.height >= cp.Height {
		if main := c.view.at(height); main != nil && main.hash != hash {
			return consensus.RuleError{Code: consensus.ErrForkBeforeCheckpoint,
				Msg: fmt.Sprintf("block at height %d forks below the last checkpoint (height %d)", height, cp.Height)}
		}
	}
	return nil
}

func resultLabel(main, orphan bool, err error) string {
	switch {
	case errors.Is(err, ErrAlreadyHave):
		return "duplicate"
	case errors.Is(err, ErrLowWork):
		return "low-work"
	case err != nil:
		if code := consensus.CodeOf(err); code != 0 {
			return code.String()
		}
		return "error"
	case orphan:
		return "orphan"
	case main:
		return "main"
	}
	return "side"
}

func (c *Chain) processLocked(b *consensus.Block, hash consensus.Hash, events *[]Event) (bool, bool, error) {
	if n := c.index[hash]; n != nil && n.haveData() {
		return false, false, ErrAlreadyHave // raced with another submitter
	}
	parent := c.index[b.Header.PrevHash]
	if parent == nil || !parent.haveData() {
		// The parent's body vanished from view between the checks (a
		// concurrent invalidation cannot remove it; this is defensive).
		c.orphans.add(b, hash, c.cfg.Now())
		return false, true, nil
	}
	if err := c.acceptBlock(b, hash, parent); err != nil {
		return false, false, err
	}
	if err := c.activateBest(b, events); err != nil {
		return false, false, err
	}
	// A block that was stored but failed to connect (stage 3), or whose
	// ancestor did, is invalid: report it like a stage 1 or 2 failure.
	if n := c.index[hash]; n != nil && n.invalid() {
		return false, false, c.invalidError(n)
	}
	return c.onMain(c.index[hash]), false, nil
}

// invalidError explains why n is marked invalid.
func (c *Chain) invalidError(n *node) error {
	if n.status&statusInvalid != 0 {
		if err := c.connectErrs[n]; err != nil {
			return err
		}
		return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: fmt.Sprintf("block %s is marked invalid", n.hash)}
	}
	for a := n.parent; a != nil; a = a.parent {
		if a.status&statusInvalid != 0 {
			msg := fmt.Sprintf("ancestor %s at height %d is invalid", a.hash, a.height)
			if err := c.connectErrs[a]; err != nil {
				msg += ": " + err.Error()
			}
			return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: msg}
		}
	}
	return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: fmt.Sprintf("block %s descends from an invalid block", n.hash)}
}

// acceptBlock runs stage 2 against the parent and stores the block's body
// and index entry (reusing a header-only entry). It does not touch state:
// that happens when it is connected.
func (c *Chain) acceptBlock(b *consensus.Block, hash consensus.Hash, parent *node) error {
	if parent.invalid() {
		return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: fmt.Sprintf("parent %s is invalid", parent.hash)}
	}
	n := c.index[hash]
	if n == nil {
		// A header stored by ProcessHeaders passed these checks already.
		if err := consensus.CheckHeaderContext(&b.Header, parent.parentInfo(), c.params, c.cfg.Now().Unix()); err != nil {
			return err
		}
	} else if n.invalid() {
		return c.invalidError(n)
	}
	if err := consensus.CheckBlockContext(b, parent.height+1); err != nil {
		return err
	}
	fresh := n == nil
	if fresh {
		n = newNode(&b.Header, hash, parent)
	}
	prevStatus := n.status
	n.status &^= statusHeaderOnly
	var body []byte
	if p := c.plan; p != nil && p.hash == hash {
		body = p.body // encoded while the signatures were verified
	}
	if body == nil {
		body = b.Encode()
	}
	batch := new(leveldb.Batch)
	batch.Put(hashKey(pfxBlock, hash), body)
	batch.Put(hashKey(pfxIndex, hash), encodeIndexEntry(n))
	if err := c.db.Write(batch, c.wo); err != nil {
		n.status = prevStatus
		return fmt.Errorf("store block %s: %w", hash, err)
	}
	if fresh {
		c.addNode(n)
	} else {
		// First seen counts from the body, as in Core: a header alone
		// must not let a branch win a tie against a block we hold.
		n.seq = c.seq
		c.seq++
	}
	return nil
}

func (c *Chain) putIndex(n *node) {
	if err := c.db.Put(hashKey(pfxIndex, n.hash), encodeIndexEntry(n), c.wo); err != nil {
		c.log.Error("persist block status", "hash", n.hash, "err", err)
	}
}

// activateBest moves the tip to the most-work valid block with its body
// (first seen among equals). hint is a block just accepted (nil to scan the
// whole index). A block that fails to connect is marked invalid with its
// descendants and the search repeats, so the node always ends on the best
// chain it can fully validate.
func (c *Chain) activateBest(hint *consensus.Block, events *[]Event) error {
	cache := map[consensus.Hash]*consensus.Block{}
	if hint != nil {
		cache[hint.Hash()] = hint
	}
	for {
		best := c.bestCandidate(hint)
		hint = nil // after a failure, scan everything
		if best == nil || !better(best, c.tip) {
			return nil
		}
		err := c.reorganize(best, cache, events)
		if err == nil {
			return nil
		}
		var bad *badBlockError
		if !errors.As(err, &bad) {
			return err // storage failure: nothing more we can safely do
		}
		c.log.Warn("block failed to connect", "hash", bad.node.hash, "height", bad.node.height, "err", bad.err)
		c.connectErrs[bad.node] = bad.err
		c.markInvalid(bad.node, statusInvalid)
	}
}

// bestCandidate returns the best block with its body that is not known
// invalid. With a hint only the hinted block and the tip compete: a new
// block cannot make any other block better.
func (c *Chain) bestCandidate(hint *consensus.Block) *node {
	if hint != nil {
		if n := c.index[hint.Hash()]; n != nil && !n.invalid() && n.haveData() {
			return n
		}
		return nil
	}
	var best *node
	for _, n := range c.index {
		if n.invalid() || !n.haveData() {
			continue
		}
		if best == nil || better(n, best) {
			best = n
		}
	}
	return best
}

// markInvalid flags n and every descendant, persisting the flags.
func (c *Chain) markInvalid(n *node, flag uint8) {
	n.status |= flag
	c.putIndex(n)
	for _, d := range c.descendants(n) {
		d.status |= statusInvalidAncestor
		c.putIndex(d)
	}
	if c.best == n || (c.best != nil && c.best.invalid()) {
		c.recomputeBest()
	}
}

type badBlockError struct {
	node *node
	err  error
}

func (e *badBlockError) Error() string { return fmt.Sprintf("block %s: %v", e.node.hash, e.err) }
func (e *badBlockError) Unwrap() error { return e.err }

// reorganize disconnects back to the fork with target and connects target's
// branch, one batch per block. A failing block on the new branch returns a
// badBlockError with the tip left at its (valid) parent.
func (c *Chain) reorganize(target *node, cache map[consensus.Hash]*consensus.Block, events *[]Event) error {
	f := fork(c.tip, target)
	if f == nil {
		return fmt.Errorf("%w: no common ancestor with %s", ErrCorrupt, target.hash)
	}
	depth := c.tip.height - f.height
	if depth > 0 && c.cfg.Observer != nil {
		c.cfg.Observer.Reorg(depth)
	}
	if depth > 0 {
		c.log.Info("reorganize", "depth", depth, "fork_height", f.height, "old_tip", c.tip.hash, "new_tip", target.hash)
	}
	for c.tip != f {
		if err := c.disconnectTip(events); err != nil {
			return err
		}
	}
	var path []*node
	for n := target; n != f; n = n.parent {
		path = append(path, n)
	}
	for i := len(path) - 1; i >= 0; i-- {
		if err := c.connectNode(path[i], cache, events); err != nil {
			return err
		}
	}
	return nil
}
