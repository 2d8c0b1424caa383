package rpc

import (
	"slices"
	"sync"

	"github.com/cairn-chain/cairn/consensus"
)

// feeBlocks is how many recent blocks the fee estimate looks at.
const feeBlocks = 10

// feeCache remembers the recent-blocks median per tip, so a burst of sends
// does not re-read the same blocks.
type feeCache struct {
	mu     sync.Mutex
	tip    consensus.Hash
	median uint64
}

// estimateFee is the fee sendtoaddress pays when none is given: at least
// the network minimum and the median fee of recent blocks, and when the
// mempool holds more than half a block, its 75th percentile, so the tx is
// likely to make the next block.
func (s *Server) estimateFee() (uint64, error) {
	fee := s.b.Params.MinTxFee
	recent, err := s.recentMedianFee()
	if err != nil {
		return 0, err
	}
	fee = max(fee, recent)
	if s.b.Mempool.Bytes() > s.b.Params.MaxBlockSize/2 {
		var fees []uint64
		for _, tx := range s.b.Mempool.Txs() {
			fees = append(fees, tx.Fee)
		}
		fee = max(fee, percentile(fees, 75))
	}
	return fee, nil
}

func (s *Server) recentMedianFee() (uint64, error) {
	tip := s.b.Chain.Tip()
	s.fees.mu.Lock()
	defer s.fees.mu.Unlock()
	if s.fees.tip == tip.Hash {
		return s.fees.median, nil
	}
	var fees []uint64
	for i := uint64(0); i < feeBlocks && i <= tip.Height; i++ {
		h, err := s.b.Chain.HashAt(tip.Height - i)
		if err != nil {
			break // the tip moved under us; use what we have
		}
		blk, err := s.b.Chain.Block(h)
		if err != nil {
			return 0, err
		}
		for _, tx := range blk.Txs {
			if !tx.IsCoinbase() {
				fees = append(fees, tx.Fee)
			}
		}
	}
	s.fees.tip, s.fees.median = tip.Hash, percentile(fees, 50)
	return s.fees.median, nil
}

// percentile returns the nearest-rank p-th percentile of v (0 if empty).
func percentile(v []uint64, p int) uint64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
