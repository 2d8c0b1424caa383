package chain

import (
	"errors"
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
)

// ProcessBlock is the single entry point for new blocks, whether mined here,
// relayed by a peer, fetched by sync or submitted over RPC. It returns whether
// the block is now on the main chain and whether it was held as an orphan.
// Rule violations are consensus.RuleError values (errors.As).
func (c *Chain) ProcessBlock(b *consensus.Block) (isMainChain, isOrphan bool, err error) {
	if c.cfg.Observer != nil {
		start := time.Now()
		defer func() { c.cfg.Observer.BlockProcessed(resultLabel(isMainChain, isOrphan, err), time.Since(start)) }()
	}
	hash := b.Hash()
	c.mu.RLock()
	_, known := c.index[hash]
	orphan := c.orphans.has(hash)
	c.mu.RUnlock()
	if known || orphan {
		return false, orphan, ErrAlreadyHave
	}
	// Stage 1 outside the lock: signatures dominate and run on all cores.
	if err := consensus.CheckBlockSanity(b, c.params, c.cfg.SigWorkers); err != nil {
		return false, false, err
	}

	var events []Event
	c.mu.Lock()
	isMainChain, isOrphan, err = c.processLocked(b, hash, &events)
	c.unlockAndDeliver(events)
	return isMainChain, isOrphan, err
}

func resultLabel(main, orphan bool, err error) string {
	switch {
	case errors.Is(err, ErrAlreadyHave):
		return "duplicate"
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
	if _, ok := c.index[hash]; ok {
		return false, false, ErrAlreadyHave // raced with another submitter
	}
	parent := c.index[b.Header.PrevHash]
	if parent == nil {
		c.orphans.add(b, hash, c.cfg.Now())
		c.log.Debug("orphan block", "hash", hash, "parent", b.Header.PrevHash)
		return false, true, nil
	}
	if err := c.acceptBlock(b, hash, parent); err != nil {
		return false, false, err
	}
	if err := c.activateBest(b, events); err != nil {
		return false, false, err
	}
	onMain := c.onMainChain(hash)
	// Orphans waiting for this block (and their descendants) can go in now.
	queue := []consensus.Hash{hash}
	for len(queue) > 0 {
		ph := queue[0]
		queue = queue[1:]
		for _, ob := range c.orphans.takeChildren(ph) {
			oh := ob.Hash()
			p := c.index[ob.Header.PrevHash]
			if err := c.acceptBlock(ob, oh, p); err != nil {
				c.log.Info("orphan rejected", "hash", oh, "err", err)
				continue
			}
			if err := c.activateBest(ob, events); err != nil {
				return onMain, false, err
			}
			queue = append(queue, oh)
		}
	}
	// A block that was stored but failed to connect (stage 3), or whose
	// ancestor did, is invalid: report it like a stage 1 or 2 failure.
	if n := c.index[hash]; n != nil && n.invalid() {
		return false, false, invalidError(n)
	}
	return c.onMainChain(hash), false, nil
}

// invalidError explains why n is marked invalid.
func invalidError(n *node) error {
	if n.status&statusInvalid != 0 {
		if n.connectErr != nil {
			return n.connectErr
		}
		return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: fmt.Sprintf("block %s is marked invalid", n.hash)}
	}
	for a := n.parent; a != nil; a = a.parent {
		if a.status&statusInvalid != 0 {
			msg := fmt.Sprintf("ancestor %s at height %d is invalid", a.hash, a.height)
			if a.connectErr != nil {
				msg += ": " + a.connectErr.Error()
			}
			return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: msg}
		}
	}
	return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: fmt.Sprintf("block %s descends from an invalid block", n.hash)}
}

// acceptBlock runs stage 2 against the parent and stores the block and its
// index entry. It does not touch state: that happens when it is connected.
func (c *Chain) acceptBlock(b *consensus.Block, hash consensus.Hash, parent *node) error {
	if parent.invalid() {
		return consensus.RuleError{Code: consensus.ErrInvalidAncestor, Msg: fmt.Sprintf("parent %s is invalid", parent.hash)}
	}
	if err := consensus.CheckHeaderContext(&b.Header, parent.parentInfo(), c.params, c.cfg.Now().Unix()); err != nil {
		return err
	}
	if err := consensus.CheckBlockContext(b, parent.height+1); err != nil {
		return err
	}
	n := newNode(&b.Header, parent)
	batch := new(leveldb.Batch)
	batch.Put(hashKey(pfxBlock, hash), b.Encode())
	batch.Put(hashKey(pfxIndex, hash), encodeIndexEntry(n))
	if err := c.db.Write(batch, c.wo); err != nil {
		parent.children = parent.children[:len(parent.children)-1]
		return fmt.Errorf("store block %s: %w", hash, err)
	}
	c.index[hash] = n
	return nil
}

func (c *Chain) putIndex(n *node) {
	if err := c.db.Put(hashKey(pfxIndex, n.hash), encodeIndexEntry(n), c.wo); err != nil {
		c.log.Error("persist block status", "hash", n.hash, "err", err)
	}
}

func (c *Chain) onMainChain(h consensus.Hash) bool {
	n := c.index[h]
	return n != nil && c.tip.ancestor(n.height) == n
}

// activateBest moves the tip to the most-work valid block. hint is a block
// just accepted (nil to scan the whole index). A block that fails to connect
// is marked invalid with its descendants and the search repeats, so the node
// always ends on the best chain it can fully validate.
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
		bad.node.connectErr = bad.err
		c.markInvalid(bad.node, statusInvalid)
	}
}

// bestCandidate returns the most-work block that is not known invalid.
func (c *Chain) bestCandidate(hint *consensus.Block) *node {
	if hint != nil {
		if n := c.index[hint.Hash()]; n != nil && !n.invalid() {
			return n
		}
	}
	var best *node
	for _, n := range c.index {
		if n.invalid() {
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
	stack := append([]*node(nil), n.children...)
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d.status |= statusInvalidAncestor
		c.putIndex(d)
		stack = append(stack, d.children...)
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
