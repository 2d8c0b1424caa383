package chain

import (
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
)

// InvalidateBlock marks h and its descendants invalid, as bitcoind's
// invalidateblock, and moves the tip to the best chain without them.
func (c *Chain) InvalidateBlock(h consensus.Hash) error {
	var events []Event
	c.mu.Lock()
	err := c.invalidateLocked(h, &events)
	c.unlockAndDeliver(events)
	return err
}

func (c *Chain) invalidateLocked(h consensus.Hash, events *[]Event) error {
	n := c.index[h]
	if n == nil {
		return fmt.Errorf("%w: %s", ErrUnknownBlock, h)
	}
	if n.parent == nil {
		return ErrGenesisChange
	}
	c.markInvalid(n, statusInvalid)
	if c.onMain(n) {
		for c.tip != n.parent {
			if err := c.disconnectTip(events); err != nil {
				return err
			}
		}
	}
	return c.activateBest(nil, events)
}

// ReconsiderBlock clears the invalid flags of h, its ancestors and its
// descendants and re-runs best-chain selection. A block that really breaks a
// rule is found invalid again when connected.
func (c *Chain) ReconsiderBlock(h consensus.Hash) error {
	var events []Event
	c.mu.Lock()
	err := c.reconsiderLocked(h, &events)
	c.unlockAndDeliver(events)
	return err
}

func (c *Chain) reconsiderLocked(h consensus.Hash, events *[]Event) error {
	n := c.index[h]
	if n == nil {
		return fmt.Errorf("%w: %s", ErrUnknownBlock, h)
	}
	clear := func(x *node) {
		if x.invalid() {
			x.status &^= statusInvalid | statusInvalidAncestor
			c.putIndex(x)
		}
	}
	for a := n; a != nil; a = a.parent {
		clear(a)
	}
	for _, d := range c.descendants(n) {
		clear(d)
	}
	c.recomputeBest()
	return c.activateBest(nil, events)
}
