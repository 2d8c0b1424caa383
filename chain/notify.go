package chain

import "github.com/cairn-chain/cairn/consensus"

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

// Subscribe registers fn for every future Event. fn runs on the goroutine
// that changed the chain, after the chain's lock is released, so it may call
// back into the Chain; it should be quick. Events are delivered in order.
func (c *Chain) Subscribe(fn func(Event)) {
	c.subsMu.Lock()
	c.subs = append(c.subs, fn)
	c.subsMu.Unlock()
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
	subs := append([](func(Event)){}, c.subs...)
	c.subsMu.Unlock()
	for _, ev := range events {
		for _, fn := range subs {
			fn(ev)
		}
	}
}
