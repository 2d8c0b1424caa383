package peers

import "container/list"

// lru is a size-bounded map that forgets the least recently touched key.
// Per-peer state that must outlive a connection (penalties, sync backoff,
// upload budgets) lives in one so a flood of fresh identities or addresses
// cannot grow it. Not safe for concurrent use: callers hold their own lock.
type lru[K comparable, V any] struct {
	max   int
	order *list.List // front = most recent; values are K
	m     map[K]lruEntry[V]
}

type lruEntry[V any] struct {
	v   V
	pos *list.Element
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), m: make(map[K]lruEntry[V])}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	e, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e.pos)
	return e.v, true
}

func (c *lru[K, V]) put(k K, v V) {
	if e, ok := c.m[k]; ok {
		c.order.MoveToFront(e.pos)
		c.m[k] = lruEntry[V]{v: v, pos: e.pos}
		return
	}
	if len(c.m) >= c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.m, old.Value.(K))
	}
	c.m[k] = lruEntry[V]{v: v, pos: c.order.PushFront(k)}
}

func (c *lru[K, V]) remove(k K) {
	if e, ok := c.m[k]; ok {
		c.order.Remove(e.pos)
		delete(c.m, k)
	}
}

func (c *lru[K, V]) len() int { return len(c.m) }
