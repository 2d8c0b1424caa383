package chain

import (
	"errors"
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
)

// loadAccounts reads the current state of addrs (absent accounts are zero).
func (c *Chain) loadAccounts(addrs []consensus.Address) (consensus.Accounts, error) {
	st := make(consensus.Accounts, len(addrs))
	for _, a := range addrs {
		v, err := c.db.Get(accountKey(a), nil)
		if errors.Is(err, leveldb.ErrNotFound) {
			st[a] = consensus.Account{}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read account: %w", err)
		}
		acct, err := decodeAccount(v)
		if err != nil {
			return nil, err
		}
		st[a] = acct
	}
	return st, nil
}

func putAccount(b *leveldb.Batch, a consensus.Address, v consensus.Account) {
	// Zero accounts are deleted so the state has one form whatever the
	// history: the digest of a replay equals the digest after a reorg.
	if v == (consensus.Account{}) {
		b.Delete(accountKey(a))
		return
	}
	b.Put(accountKey(a), encodeAccount(v))
}

func (c *Chain) blockFor(n *node, cache map[consensus.Hash]*consensus.Block) (*consensus.Block, error) {
	if b := cache[n.hash]; b != nil {
		return b, nil
	}
	return c.readBlock(n.hash)
}

func (c *Chain) readBlock(h consensus.Hash) (*consensus.Block, error) {
	raw, err := c.db.Get(hashKey(pfxBlock, h), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read block %s: %w", h, err)
	}
	b, err := consensus.DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: stored block %s: %v", ErrCorrupt, h, err)
	}
	return b, nil
}

// connectNode applies n (whose parent is the tip) to state and commits the
// state changes, undo data, indexes and new tip in one batch.
func (c *Chain) connectNode(n *node, cache map[consensus.Hash]*consensus.Block, events *[]Event) error {
	if n.parent != c.tip {
		return fmt.Errorf("connect %s: parent is not the tip", n.hash)
	}
	b, err := c.blockFor(n, cache)
	if err != nil {
		return err
	}
	touched := consensus.TouchedAddresses(b)
	st, err := c.loadAccounts(touched)
	if err != nil {
		return err
	}
	undo := make([]undoEntry, len(touched))
	for i, a := range touched {
		undo[i] = undoEntry{addr: a, prev: st[a]}
	}
	if _, err := consensus.ApplyBlock(st, b, n.height, c.params); err != nil {
		return &badBlockError{node: n, err: err}
	}
	batch := new(leveldb.Batch)
	for _, a := range touched {
		putAccount(batch, a, st[a])
	}
	batch.Put(hashKey(pfxUndo, n.hash), encodeUndo(undo))
	for i, tx := range b.Txs {
		id := tx.ID()
		batch.Put(hashKey(pfxTx, id), encodeTxLoc(TxLocation{BlockHash: n.hash, Index: uint32(i)}))
		if tx.Kind == consensus.TxTransfer {
			batch.Put(addrTxKey(tx.Sender(), n.height, uint32(i)), id[:])
		}
		batch.Put(addrTxKey(tx.To, n.height, uint32(i)), id[:])
	}
	batch.Put(heightKey(n.height), n.hash[:])
	batch.Put(metaKey(metaTip), n.hash[:])
	if n.status&statusValid == 0 {
		n.status |= statusValid
		batch.Put(hashKey(pfxIndex, n.hash), encodeIndexEntry(n))
	}
	if err := c.db.Write(batch, c.wo); err != nil {
		n.status &^= statusValid
		return fmt.Errorf("commit block %s: %w", n.hash, err)
	}
	c.setTip(n)
	*events = append(*events, Event{Kind: BlockConnected, Block: b, Hash: n.hash, Height: n.height})
	return nil
}

// disconnectTip undoes the tip block in one batch and makes its parent the tip.
func (c *Chain) disconnectTip(events *[]Event) error {
	n := c.tip
	if n.parent == nil {
		return fmt.Errorf("cannot disconnect the genesis block")
	}
	b, err := c.readBlock(n.hash)
	if err != nil {
		return err
	}
	raw, err := c.db.Get(hashKey(pfxUndo, n.hash), nil)
	if err != nil {
		return fmt.Errorf("%w: undo data for %s: %v", ErrCorrupt, n.hash, err)
	}
	undo, err := decodeUndo(raw)
	if err != nil {
		return err
	}
	batch := new(leveldb.Batch)
	for _, e := range undo {
		putAccount(batch, e.addr, e.prev)
	}
	batch.Delete(hashKey(pfxUndo, n.hash))
	for i, tx := range b.Txs {
		batch.Delete(hashKey(pfxTx, tx.ID()))
		if tx.Kind == consensus.TxTransfer {
			batch.Delete(addrTxKey(tx.Sender(), n.height, uint32(i)))
		}
		batch.Delete(addrTxKey(tx.To, n.height, uint32(i)))
	}
	batch.Delete(heightKey(n.height))
	batch.Put(metaKey(metaTip), n.parent.hash[:])
	if err := c.db.Write(batch, c.wo); err != nil {
		return fmt.Errorf("commit disconnect of %s: %w", n.hash, err)
	}
	c.setTip(n.parent)
	*events = append(*events, Event{Kind: BlockDisconnected, Block: b, Hash: n.hash, Height: n.height})
	return nil
}
