package chain

import (
	"slices"
	"sync/atomic"

	"github.com/cairn-chain/cairn/consensus"
)

// EventKind says what happened to the main chain.
type EventKind int

const (
	// BlockConnected: Block became the new tip.
	BlockConnected EventKind = iota + 1
	// BlockDisconnected: Block was removed from the tip (a reorg or invalidateblock).
	BlockDisconnected
)

func (k EventKind) String() string {
	switch k {
	case BlockConnected:
		return "connected"
	case BlockDisconnected:
		return "disconnected"
	}
	return "unknown"
}

// Event is one change of the main chain. During a reorg subscribers get every
// disconnect (tip first) and then every connect, in order.
type Event struct {
	Kind   EventKind
	Block  *consensus.Block
	Hash   consensus.Hash
	Height uint64
}

type subscriber struct {
	id   uint64
	fn   func(Event)
	gone *atomic.Bool
}

// Subscribe registers fn for every future Event and returns a function that
// unsubscribes it (safe to call more than once). fn runs on the goroutine
// that changed the chain, after the chain's lock is released, so it may
// call back into the Chain; it should be quick. Events are delivered in
// order. Once unsubscribe returns, fn is not called again (a call already
// running on another goroutine may finish); unsubscribe may be called from
// inside fn.
func (c *Chain) Subscribe(fn func(Event)) (unsubscribe func()) {
	c.subsMu.Lock()
	c.nextSub++
	id := c.nextSub
	gone := new(atomic.Bool)
	c.subs = append(c.subs, subscriber{id: id, fn: fn, gone: gone})
	c.subsMu.Unlock()
	return func() {
		gone.Store(true)
		c.subsMu.Lock()
		defer c.subsMu.Unlock()
		c.subs = slices.DeleteFunc(c.subs, func(s subscriber) bool { return s.id == id })
	}
}

// unlockAndDeliver releases c.mu and delivers events. notifyMu is taken
// before c.mu is released so two writers' events cannot be delivered out of
// the order in which they changed the chain.
func (c *Chain) unlockAndDeliver(events []Event) {
	if len(events) == 0 {
		c.mu.Unlock()
		return
	}
	c.notifyMu.Lock()
	c.mu.Unlock()
	defer c.notifyMu.Unlock()
	c.subsMu.Lock()
	subs := slices.Clone(c.subs)
	c.subsMu.Unlock()
	for _, ev := range events {
		for _, s := range subs {
			if !s.gone.Load() {
				s.fn(ev)
			}
		}
	}
}
