package miner

import (
	"fmt"
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
// block invalid.
func NewTemplate(c Chain, src TxSource, addr consensus.Address, now time.Time) (*consensus.Block, error) {
	p := c.Params()
	tip := c.Tip()
	height := tip.Height + 1
	cb := &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: p.ChainID, Nonce: height, To: addr}
	// Leave room for the coinbase and its extra-nonce memo.
	maxBytes := p.MaxBlockSize - consensus.HeaderSize - 4 - consensus.MaxTxSize
	var txs []*consensus.Tx
	if src != nil {
		txs = src.Template(p.MaxBlockTxs-1, maxBytes)
	}
	st := consensus.Accounts{}
	kept := make([]*consensus.Tx, 0, len(txs)+1)
	kept = append(kept, cb)
	var fees uint64
	for _, tx := range txs {
		from := tx.Sender()
		for _, a := range []consensus.Address{from, tx.To} {
			if _, ok := st[a]; !ok {
				acct, err := c.Account(a)
				if err != nil {
					return nil, fmt.Errorf("template: %w", err)
				}
				st[a] = acct
			}
		}
		before := map[consensus.Address]consensus.Account{from: st[from], tx.To: st[tx.To]}
		if err := consensus.ApplyTx(st, tx); err != nil {
			for a, v := range before {
				st[a] = v
			}
			continue
		}
		fees += tx.Fee
		kept = append(kept, tx)
	}
	cb.Amount = p.Subsidy(height) + fees
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
