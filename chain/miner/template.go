package miner

import (
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

// TxSource supplies candidate transactions, best first, in an order that
// respects each sender's nonces (the mempool's Template method).
type TxSource interface {
	Template(maxTxs, maxBytes int) []*consensus.Tx
}

// Chain is what the miner needs from the ledger.
type Chain interface {
	Tip() chain.BlockInfo
	Params() *consensus.Params
	Account(a consensus.Address) (consensus.Account, error)
	ProcessBlock(b *consensus.Block) (bool, bool, error)
}

// NewTemplate builds an unsolved block on the current tip paying to addr.
// Candidate txs are re-applied to a copy of the tip state and any that no
// longer apply are dropped: a stale mempool entry must never make our own
// block invalid. Fees are summed with overflow checks: a tx is left out if
// its fee would overflow the coinbase value (subsidy + fees) or the miner's
// balance once the coinbase credits it, as consensus.ApplyBlock requires.
func NewTemplate(c Chain, src TxSource, addr consensus.Address, now time.Time) (*consensus.Block, error) {
	p := c.Params()
	tip := c.Tip()
	height := tip.Height + 1
	subsidy := p.Subsidy(height)
	cb := &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: p.ChainID, Nonce: height, To: addr}
	// Leave room for the coinbase and its extra-nonce memo.
	maxBytes := p.MaxBlockSize - consensus.HeaderSize - 4 - consensus.MaxTxSize
	var txs []*consensus.Tx
	if src != nil {
		txs = src.Template(p.MaxBlockTxs-1, maxBytes)
	}
	st := consensus.Accounts{}
	load := func(a consensus.Address) error {
		if _, ok := st[a]; ok {
			return nil
		}
		acct, err := c.Account(a)
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		st[a] = acct
		return nil
	}
	if err := load(addr); err != nil {
		return nil, err
	}
	if _, carry := bits.Add64(st[addr].Balance, subsidy, 0); carry != 0 {
		return nil, fmt.Errorf("template: the subsidy %d would overflow the balance %d of %x: mine to another address",
			subsidy, st[addr].Balance, addr)
	}
	kept := make([]*consensus.Tx, 0, len(txs)+1)
	kept = append(kept, cb)
	var fees uint64
	for _, tx := range txs {
		sum, carry := bits.Add64(fees, tx.Fee, 0)
		reward, carry2 := bits.Add64(subsidy, sum, 0)
		if carry != 0 || carry2 != 0 {
			continue // the sender's later txs fail on their nonce below
		}
		from := tx.Sender()
		for _, a := range []consensus.Address{from, tx.To} {
			if err := load(a); err != nil {
				return nil, err
			}
		}
		// Undo by hand on failure: a map per tx cost more than the rest
		// of the loop for a template of thousands.
		prevFrom, prevTo, prevMiner := st[from], st[tx.To], st[addr]
		err := consensus.ApplyTx(st, tx)
		if err == nil {
			if _, carry := bits.Add64(st[addr].Balance, reward, 0); carry != 0 {
				err = errors.New("coinbase would overflow the miner's balance")
			}
		}
		if err != nil {
			// Restore in reverse order of writes: the addresses may
			// coincide (self-transfers, payments to the miner).
			st[addr] = prevMiner
			st[tx.To] = prevTo
			st[from] = prevFrom
			continue
		}
		fees = sum
		kept = append(kept, tx)
	}
	cb.Amount = subsidy + fees // checked in the loop
	ts := now.Unix()
	if ts <= tip.MedianTime {
		ts = tip.MedianTime + 1
	}
	blk := &consensus.Block{
		Header: consensus.Header{
			Version:   consensus.BlockVersion,
			PrevHash:  tip.Hash,
			Timestamp: ts,
			Bits:      consensus.NextBits(p, tip.Height, tip.Header.Timestamp),
			Miner:     addr,
		},
		Txs: kept,
	}
	blk.Header.MerkleRoot = consensus.MerkleRoot(blk.TxIDs())
	return blk, nil
}
