package chain

import (
	"errors"
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
)

// loadAccounts reads the current state of addrs (absent accounts are
// zero), through the account cache. The caller holds c.mu (read or write):
// no batch can commit while it reads, so what it caches is current.
func (c *Chain) loadAccounts(addrs []consensus.Address) (consensus.Accounts, error) {
	st := make(consensus.Accounts, len(addrs))
	var missed []consensus.Address
	for _, a := range addrs {
		if v, ok := c.accts.get(a); ok {
			st[a] = v
			continue
		}
		v, err := c.readAccount(a)
		if err != nil {
			return nil, err
		}
		st[a] = v
		missed = append(missed, a)
	}
	c.accts.put(missed, st)
	return st, nil
}

func (c *Chain) readAccount(a consensus.Address) (consensus.Account, error) {
	v, err := c.db.Get(accountKey(a), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return consensus.Account{}, nil
	}
	if err != nil {
		return consensus.Account{}, fmt.Errorf("read account: %w", err)
	}
	return decodeAccount(v)
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
// state changes, undo data, indexes and new tip in one batch. It uses the
// plan ProcessBlock prepared while verifying signatures if that plan was
// made for n on the current tip (state is a function of the tip).
func (c *Chain) connectNode(n *node, cache map[consensus.Hash]*consensus.Block, events *[]Event) error {
	if n.parent != c.tip {
		return fmt.Errorf("connect %s: parent is not the tip", n.hash)
	}
	b, err := c.blockFor(n, cache)
	if err != nil {
		return err
	}
	p := c.plan
	if p == nil || p.hash != n.hash || p.parent != c.tip {
		if p, err = c.planConnect(b, n.hash, c.tip, nil); err != nil {
			return err
		}
	}
	if p.bad != nil {
		return &badBlockError{node: n, err: p.bad}
	}
	batch := p.batch
	batch.Put(heightKey(n.height), n.hash[:])
	batch.Put(metaKey(metaTip), n.hash[:])
	if n.status&statusValid == 0 {
		n.status |= statusValid
		batch.Put(hashKey(pfxIndex, n.hash), encodeIndexEntry(n))
	}
	if err := c.db.Write(batch, c.wo); err != nil {
		n.status &^= statusValid
		c.accts.reset()
		return fmt.Errorf("commit block %s: %w", n.hash, err)
	}
	c.accts.put(p.touched, p.st)
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
		c.accts.reset()
		return fmt.Errorf("commit disconnect of %s: %w", n.hash, err)
	}
	addrs := make([]consensus.Address, len(undo))
	prev := make(consensus.Accounts, len(undo))
	for i, e := range undo {
		addrs[i], prev[e.addr] = e.addr, e.prev
	}
	c.accts.put(addrs, prev)
	c.setTip(n.parent)
	*events = append(*events, Event{Kind: BlockDisconnected, Block: b, Hash: n.hash, Height: n.height})
	return nil
}
