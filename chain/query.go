package chain

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// BlockInfo describes an indexed block.
type BlockInfo struct {
	Hash       consensus.Hash
	Header     consensus.Header
	Height     uint64
	ChainWork  *uint256.Int
	MedianTime int64
	MainChain  bool
	Status     string // "active", "valid-fork", "valid-headers", "invalid"
}

func (c *Chain) info(n *node) BlockInfo {
	bi := BlockInfo{Hash: n.hash, Header: n.header(), Height: n.height, ChainWork: new(uint256.Int).Set(&n.work), MedianTime: n.medianTimePast()}
	bi.MainChain = c.onMain(n)
	switch {
	case bi.MainChain:
		bi.Status = "active"
	case n.invalid():
		bi.Status = "invalid"
	case !n.haveData():
		bi.Status = "headers-only" // header stored by header sync, body not yet
	case n.status&statusValid != 0:
		bi.Status = "valid-fork"
	default:
		bi.Status = "valid-headers" // stored, checked to stage 2, never connected
	}
	return bi
}

// Tip returns the current best block. It takes no lock.
func (c *Chain) Tip() BlockInfo {
	bi := *c.tipInfo.Load()
	bi.ChainWork = new(uint256.Int).Set(bi.ChainWork) // callers may modify theirs
	return bi
}

// Height returns the tip height.
func (c *Chain) Height() uint64 {
	return c.tipInfo.Load().Height
}

// BlockInfo returns index data for a known block.
func (c *Chain) BlockInfo(h consensus.Hash) (BlockInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return BlockInfo{}, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	return c.info(n), nil
}

// HaveBlock reports whether h's body is stored or waiting as an orphan.
func (c *Chain) HaveBlock(h consensus.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	return (ok && n.haveData()) || c.orphans.has(h)
}

// OrphanRoot returns the missing ancestor an orphan h is waiting for.
func (c *Chain) OrphanRoot(h consensus.Hash) consensus.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.root(h)
}

// OrphanCount returns the orphan pool's size.
func (c *Chain) OrphanCount() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.len()
}

// Block returns a stored block (main chain or not).
func (c *Chain) Block(h consensus.Hash) (*consensus.Block, error) { return c.readBlock(h) }

// BlockRaw returns a stored block's encoding.
func (c *Chain) BlockRaw(h consensus.Hash) ([]byte, error) {
	raw, err := c.db.Get(hashKey(pfxBlock, h), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	return raw, err
}

// HashAt returns the main-chain block hash at height.
func (c *Chain) HashAt(height uint64) (consensus.Hash, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.view.at(height)
	if n == nil {
		return consensus.Hash{}, fmt.Errorf("height %d above tip %d: %w", height, c.tip.height, ErrNotFound)
	}
	return n.hash, nil
}

// Account returns an account's state at the tip (zero if it never existed).
func (c *Chain) Account(a consensus.Address) (consensus.Account, error) {
	// The cache is read, never filled, here: without c.mu a batch may be
	// committing, and a value read from disk meanwhile could be stale.
	if v, ok := c.accts.get(a); ok {
		return v, nil
	}
	return c.readAccount(a)
}

// Tx returns a main-chain transaction and where it is.
func (c *Chain) Tx(id consensus.Hash) (*consensus.Tx, TxLocation, error) {
	v, err := c.db.Get(hashKey(pfxTx, id), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, TxLocation{}, fmt.Errorf("tx %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, TxLocation{}, err
	}
	loc, err := decodeTxLoc(v)
	if err != nil {
		return nil, loc, err
	}
	b, err := c.readBlock(loc.BlockHash)
	if err != nil {
		return nil, loc, err
	}
	if int(loc.Index) >= len(b.Txs) {
		return nil, loc, fmt.Errorf("%w: tx index points past block end", ErrCorrupt)
	}
	return b.Txs[loc.Index], loc, nil
}

// AddressTx is one main-chain transaction touching an address.
type AddressTx struct {
	TxID   consensus.Hash
	Height uint64
	Index  uint32
}

// AddressTxs lists main-chain txs sent or received by a, newest first,
// skipping `skip` and returning at most `count`.
func (c *Chain) AddressTxs(a consensus.Address, count, skip int) ([]AddressTx, error) {
	pfx := append([]byte{pfxAddrTx}, a[:]...)
	it := c.db.NewIterator(util.BytesPrefix(pfx), nil)
	defer it.Release()
	var out []AddressTx
	for ok := it.Last(); ok && len(out) < count; ok = it.Prev() {
		if skip > 0 {
			skip--
			continue
		}
		k := it.Key()
		if len(k) != len(pfx)+12 || len(it.Value()) != consensus.HashSize {
			return nil, fmt.Errorf("%w: address index entry", ErrCorrupt)
		}
		var e AddressTx
		copy(e.TxID[:], it.Value())
		e.Height = binary.BigEndian.Uint64(k[len(pfx):])
		e.Index = binary.BigEndian.Uint32(k[len(pfx)+8:])
		out = append(out, e)
	}
	return out, it.Error()
}

// Locator returns block hashes from the tip back to genesis, dense near the
// tip and exponentially sparser, for header sync.
func (c *Chain) Locator() []consensus.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []consensus.Hash
	step := uint64(1)
	h := c.tip.height
	for {
		out = append(out, c.view.at(h).hash)
		if h == 0 {
			break
		}
		if len(out) >= 10 {
			step *= 2
		}
		if h < step {
			h = 0
		} else {
			h -= step
		}
	}
	return out
}

// HeadersAfter returns up to max main-chain headers following the first
// locator hash that is on the main chain (genesis if none is). It costs
// O(len(locator) + max), whatever the chain's height.
func (c *Chain) HeadersAfter(locator []consensus.Hash, max int) []consensus.Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	start := uint64(0)
	for _, h := range locator {
		if n := c.index[h]; n != nil && c.onMain(n) {
			start = n.height
			break
		}
	}
	if max <= 0 || start >= c.tip.height {
		return nil
	}
	count := min(uint64(max), c.tip.height-start)
	out := make([]consensus.Header, count)
	for i := range out {
		out[i] = c.view.at(start + 1 + uint64(i)).header()
	}
	return out
}

// ChainTip describes one leaf of the block tree.
type ChainTip struct {
	Hash         consensus.Hash
	Height       uint64
	BranchLength uint64 // blocks between the tip and the main chain
	Status       string
}

// Tips returns every leaf of the block tree, the active tip first. A
// main-chain block below the tip always has a main-chain child, so only
// side-branch blocks can be the other leaves.
func (c *Chain) Tips() []ChainTip {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := []ChainTip{{Hash: c.tip.hash, Height: c.tip.height, Status: "active"}}
	var side []*node
	hasChild := map[*node]bool{}
	for _, n := range c.index {
		if c.onMain(n) {
			continue
		}
		side = append(side, n)
		hasChild[n.parent] = true
	}
	for _, n := range side {
		if hasChild[n] {
			continue
		}
		f := fork(n, c.tip)
		out = append(out, ChainTip{Hash: n.hash, Height: n.height, BranchLength: n.height - f.height, Status: c.info(n).Status})
	}
	// Map order must not leak out: highest first, then by hash.
	slices.SortFunc(out[1:], func(a, b ChainTip) int {
		if a.Height != b.Height {
			return cmp.Compare(b.Height, a.Height)
		}
		return bytes.Compare(a.Hash[:], b.Hash[:])
	})
	return out
}
