package chain

import (
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// orphanPool holds sanity-checked blocks whose parent is unknown, bounded in
// count; the oldest is evicted first. Callers hold Chain.mu.
type orphanPool struct {
	max      int
	byHash   map[consensus.Hash]*orphan
	byParent map[consensus.Hash][]consensus.Hash
}

type orphan struct {
	block *consensus.Block
	added time.Time
}

func newOrphanPool(max int) *orphanPool {
	return &orphanPool{max: max, byHash: map[consensus.Hash]*orphan{}, byParent: map[consensus.Hash][]consensus.Hash{}}
}

func (p *orphanPool) has(h consensus.Hash) bool { _, ok := p.byHash[h]; return ok }

func (p *orphanPool) len() int { return len(p.byHash) }

func (p *orphanPool) add(b *consensus.Block, h consensus.Hash, now time.Time) {
	if p.has(h) {
		return
	}
	for len(p.byHash) >= p.max {
		var oldest consensus.Hash
		var t time.Time
		first := true
		for oh, o := range p.byHash {
			if first || o.added.Before(t) {
				oldest, t, first = oh, o.added, false
			}
		}
		p.remove(oldest)
	}
	p.byHash[h] = &orphan{block: b, added: now}
	p.byParent[b.Header.PrevHash] = append(p.byParent[b.Header.PrevHash], h)
}

func (p *orphanPool) remove(h consensus.Hash) {
	o := p.byHash[h]
	if o == nil {
		return
	}
	delete(p.byHash, h)
	ph := o.block.Header.PrevHash
	sib := p.byParent[ph]
	for i, s := range sib {
		if s == h {
			sib = append(sib[:i], sib[i+1:]...)
			break
		}
	}
	if len(sib) == 0 {
		delete(p.byParent, ph)
	} else {
		p.byParent[ph] = sib
	}
}

// takeChildren removes and returns the orphans whose parent is h.
func (p *orphanPool) takeChildren(h consensus.Hash) []*consensus.Block {
	var out []*consensus.Block
	for _, ch := range append([]consensus.Hash(nil), p.byParent[h]...) {
		out = append(out, p.byHash[ch].block)
		p.remove(ch)
	}
	return out
}

// root walks back through orphans from h to the first missing ancestor's
// hash, which is what a syncing peer should be asked for.
func (p *orphanPool) root(h consensus.Hash) consensus.Hash {
	for {
		o := p.byHash[h]
		if o == nil {
			return h
		}
		h = o.block.Header.PrevHash
	}
}
