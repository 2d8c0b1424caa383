package chain

import (
	"crypto/sha256"
	"fmt"
	"math"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// StateInfo summarises the whole account state at one tip.
type StateInfo struct {
	Height       uint64
	BestHash     consensus.Hash
	Accounts     uint64
	TotalBalance uint64 // saturates at 2^64-1
	// Digest is SHA-256 over TaggedHash("cairn/state") followed by every
	// non-zero account in address order as address || balance u64 || nonce
	// u64. Two nodes with the same tip have the same digest.
	Digest consensus.Hash
}

// StateInfo computes the state digest from a consistent LevelDB snapshot.
func (c *Chain) StateInfo() (StateInfo, error) {
	c.mu.RLock()
	snap, err := c.db.GetSnapshot()
	tip := c.tip
	c.mu.RUnlock()
	if err != nil {
		return StateInfo{}, err
	}
	defer snap.Release()
	si := StateInfo{Height: tip.height, BestHash: tip.hash}
	h := sha256.New()
	tag := consensus.TaggedHash("cairn/state")
	h.Write(tag[:])
	it := snap.NewIterator(util.BytesPrefix([]byte{pfxAccount}), nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != 1+consensus.AddressSize {
			return si, fmt.Errorf("%w: account key length %d", ErrCorrupt, len(k))
		}
		a, err := decodeAccount(it.Value())
		if err != nil {
			return si, err
		}
		// Each balance fits in a uint64 but the sum need not: genesis may
		// allocate up to 2^64-1 and coinbases add to that. Saturate.
		if si.TotalBalance+a.Balance < si.TotalBalance {
			si.TotalBalance = math.MaxUint64
		} else {
			si.TotalBalance += a.Balance
		}
		si.Accounts++
		h.Write(k[1:])
		h.Write(it.Value())
	}
	if err := it.Error(); err != nil {
		return si, err
	}
	h.Sum(si.Digest[:0])
	return si, nil
}

// Digest is a helper that returns only the state digest.
func (c *Chain) Digest() (consensus.Hash, error) {
	si, err := c.StateInfo()
	return si.Digest, err
}
