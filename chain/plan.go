package chain

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
)

// connectPlan is what connecting a block onto parent writes, except the tip
// records: the accounts' new states, the undo record and the tx and address
// index entries, as batch entries sorted by key (LevelDB's memtable is a
// skip list; sorted inserts walk nodes still in cache, which halved the
// commit time). ProcessBlock builds it while the block's signatures are
// verified, so that work leaves the serial commit path.
type connectPlan struct {
	hash    consensus.Hash
	parent  *node
	touched []consensus.Address
	st      consensus.Accounts // after the block
	batch   *leveldb.Batch     // the entries, in key order
	body    []byte             // the encoded block, if planned ahead
	bad     error              // the block breaks a state rule (stage 3) on parent
}

type planEntry struct {
	pre      uint64 // the key's first 8 bytes: most comparisons end there
	key, val []byte // val nil: delete
}

func comparePlanEntries(x, y planEntry) int {
	if x.pre != y.pre {
		if x.pre < y.pre {
			return -1
		}
		return 1
	}
	return bytes.Compare(x.key, y.key)
}

// planConnect computes the plan for connecting b (hash) onto parent, which
// must be the tip while the caller holds c.mu. ids are b's tx ids if the
// caller has them (nil: computed here). A state rule failure is in
// plan.bad; the error is for storage failures only.
func (c *Chain) planConnect(b *consensus.Block, hash consensus.Hash, parent *node, ids []consensus.Hash) (*connectPlan, error) {
	senders := consensus.BlockSenders(b)
	p := &connectPlan{hash: hash, parent: parent, touched: consensus.TouchedAddressesFrom(b, senders)}
	st, err := c.loadAccounts(p.touched)
	if err != nil {
		return nil, err
	}
	undo := make([]undoEntry, len(p.touched))
	for i, a := range p.touched {
		undo[i] = undoEntry{addr: a, prev: st[a]}
	}
	height := parent.height + 1
	if _, err := consensus.ApplyBlockFrom(st, b, senders, height, c.params); err != nil {
		p.bad = err
		return p, nil
	}
	p.st = st
	if len(ids) != len(b.Txs) {
		ids = b.TxIDs()
	}

	const (
		acctKeyLen = 1 + consensus.AddressSize
		txKeyLen   = 1 + consensus.HashSize
		addrKeyLen = 1 + consensus.AddressSize + 8 + 4
		txLocLen   = consensus.HashSize + 4
	)
	// One buffer for every key and value: thousands of small allocations
	// cost more than the batch itself. (Were it ever outgrown, append
	// would move on to a new buffer; slices taken so far stay valid.)
	size := len(p.touched)*(acctKeyLen+16) + len(b.Txs)*(txKeyLen+txLocLen+2*addrKeyLen)
	arena := make([]byte, 0, size)
	last := func(from int) []byte { return arena[from:len(arena):len(arena)] }
	entries := make([]planEntry, 0, len(p.touched)+1+3*len(b.Txs))
	for _, a := range p.touched {
		from := len(arena)
		arena = appendAccountKey(arena, a)
		k := last(from)
		// Zero accounts are deleted so the state has one form whatever
		// the history: the digest of a replay equals that after a reorg.
		v := st[a]
		if v == (consensus.Account{}) {
			entries = append(entries, planEntry{key: k})
			continue
		}
		from = len(arena)
		arena = appendAccount(arena, v)
		entries = append(entries, planEntry{key: k, val: last(from)})
	}
	entries = append(entries, planEntry{key: hashKey(pfxUndo, hash), val: encodeUndo(undo)})
	addrKey := func(a consensus.Address, pos uint32) []byte {
		from := len(arena)
		arena = appendAddrTxKey(arena, a, height, pos)
		return last(from)
	}
	for i, tx := range b.Txs {
		id := ids[i][:]
		from := len(arena)
		arena = appendHashKey(arena, pfxTx, ids[i])
		k := last(from)
		from = len(arena)
		arena = appendTxLoc(arena, TxLocation{BlockHash: hash, Index: uint32(i)})
		entries = append(entries, planEntry{key: k, val: last(from)})
		if tx.Kind == consensus.TxTransfer {
			entries = append(entries, planEntry{key: addrKey(senders[i], uint32(i)), val: id})
		}
		entries = append(entries, planEntry{key: addrKey(tx.To, uint32(i)), val: id})
	}
	for i := range entries {
		var pre [8]byte
		copy(pre[:], entries[i].key)
		entries[i].pre = binary.BigEndian.Uint64(pre[:])
	}
	slices.SortFunc(entries, comparePlanEntries)
	// The batch copies every record: size it once (a record costs its
	// key and value plus a few bytes of framing).
	p.batch = leveldb.MakeBatch(len(arena) + len(undo)*(consensus.AddressSize+16) + 16*len(entries) + 256)
	for _, e := range entries {
		if e.val == nil {
			p.batch.Delete(e.key)
		} else {
			p.batch.Put(e.key, e.val)
		}
	}
	return p, nil
}

// planAhead returns the connect plan for b if it extends the tip, for
// ProcessBlock to compute while signatures are verified; nil otherwise
// (or on a storage error, which the connect itself will then report).
func (c *Chain) planAhead(b *consensus.Block, hash consensus.Hash, ids []consensus.Hash) *connectPlan {
	c.mu.RLock()
	var p *connectPlan
	if parent := c.index[b.Header.PrevHash]; parent != nil && parent == c.tip {
		var err error
		if p, err = c.planConnect(b, hash, parent, ids); err != nil {
			p = nil
		}
	}
	c.mu.RUnlock()
	if p != nil {
		p.body = b.Encode() // needs no lock
	}
	return p
}
