package consensus

import (
	"runtime"
	"sort"
	"sync"
)

// Stage 1: context-free checks. They need nothing but the data and the
// network parameters, so relay code can run them before storing anything.

// CheckHeaderSanity checks version and proof of work.
func CheckHeaderSanity(h *Header, p *Params) error {
	if h.Version != BlockVersion {
		return ruleErr(ErrBadVersion, "block version %d, want %d", h.Version, BlockVersion)
	}
	return CheckProofOfWork(h.Hash(), h.Bits, p.PowLimit)
}

// CheckTxSanity checks what a transfer must satisfy regardless of state,
// except the signature (see VerifySignatures, which batches that work).
func CheckTxSanity(tx *Tx, p *Params) error {
	if tx.Kind != TxTransfer {
		return ruleErr(ErrMultipleCoinbase, "coinbase outside the first position")
	}
	if tx.ChainID != p.ChainID {
		return ruleErr(ErrWrongChainID, "chain id %#x, network %s uses %#x", tx.ChainID, p.Name, p.ChainID)
	}
	if len(tx.Memo) > MaxMemoSize {
		return ruleErr(ErrMemoTooLong, "memo %d bytes, max %d", len(tx.Memo), MaxMemoSize)
	}
	if tx.Fee < p.MinTxFee {
		return ruleErr(ErrFeeTooLow, "fee %d below minimum %d", tx.Fee, p.MinTxFee)
	}
	if tx.Amount+tx.Fee < tx.Amount {
		return ruleErr(ErrOverflow, "amount %d + fee %d overflows", tx.Amount, tx.Fee)
	}
	return nil
}

// CheckBlockSanity runs every context-free block check, signatures included.
// Signatures are verified on `workers` goroutines (0 means GOMAXPROCS).
func CheckBlockSanity(b *Block, p *Params, workers int) error {
	if err := CheckBlockStructure(b, p); err != nil {
		return err
	}
	return VerifySignatures(b.Txs[1:], workers)
}

// SigCache is what block checks need from a signature cache: the ids of
// transactions whose signatures were verified before (a tx id commits to the
// signature, so a hit proves this exact signature verified).
type SigCache interface {
	// Take reports whether id was verified before and forgets it: a tx is
	// mined once, so a block is the entry's last use (as in Bitcoin Core).
	Take(id Hash) bool
}

// CheckBlockSanityBatch is CheckBlockSanity with the signatures verified as
// one batch by v, skipping the txs cache holds (cache may be nil; a nil v
// verifies one by one on GOMAXPROCS goroutines). Its result is exactly
// CheckBlockSanity's: cached signatures are valid, so the lowest-index bad
// signature among the rest is the block's lowest.
func CheckBlockSanityBatch(b *Block, p *Params, v *BatchVerifier, cache SigCache) error {
	ids, err := checkBlockStructure(b, p)
	if err != nil {
		return err
	}
	return CheckBlockSignatures(b, ids, v, cache)
}

// CheckBlockStructureIDs is CheckBlockStructure returning the tx ids the
// merkle root commits to, so callers can split stage 1 in two and run the
// signatures (CheckBlockSignatures) while they do other work.
func CheckBlockStructureIDs(b *Block, p *Params) ([]Hash, error) {
	return checkBlockStructure(b, p)
}

// CheckBlockSignatures is the signature half of CheckBlockSanityBatch for a
// block that passed CheckBlockStructureIDs; ids must be what that returned
// (a wrong id could make the cache vouch for a signature it never saw).
func CheckBlockSignatures(b *Block, ids []Hash, v *BatchVerifier, cache SigCache) error {
	if len(ids) != len(b.Txs) || len(b.Txs) == 0 {
		return ruleErr(ErrNoTxs, "%d tx ids for %d txs", len(ids), len(b.Txs))
	}
	txs := b.Txs[1:]
	if cache != nil {
		pending := make([]*Tx, 0, len(txs))
		for i, tx := range txs {
			if !cache.Take(ids[i+1]) {
				pending = append(pending, tx)
			}
		}
		txs = pending
	}
	if v == nil {
		return VerifySignatures(txs, 0)
	}
	return v.VerifyTxs(txs)
}

// CheckBlockStructure is CheckBlockSanity without the signatures: proof of
// work, limits, coinbase, tx fields, merkle root, duplicates. It costs
// hashing only, so a node can run it on blocks it may never connect.
func CheckBlockStructure(b *Block, p *Params) error {
	_, err := checkBlockStructure(b, p)
	return err
}

// checkBlockStructure is CheckBlockStructure, returning the tx ids it
// computed for the merkle root.
func checkBlockStructure(b *Block, p *Params) ([]Hash, error) {
	if err := CheckHeaderSanity(&b.Header, p); err != nil {
		return nil, err
	}
	if len(b.Txs) == 0 {
		return nil, ruleErr(ErrNoTxs, "block has no transactions")
	}
	if len(b.Txs) > p.MaxBlockTxs {
		return nil, ruleErr(ErrTooManyTxs, "%d txs, max %d", len(b.Txs), p.MaxBlockTxs)
	}
	if size := b.EncodedSize(); size > p.MaxBlockSize {
		return nil, ruleErr(ErrBlockTooBig, "%d bytes, max %d", size, p.MaxBlockSize)
	}
	cb := b.Txs[0]
	if cb.Kind != TxCoinbase {
		return nil, ruleErr(ErrBadCoinbase, "first tx is not a coinbase")
	}
	if cb.ChainID != p.ChainID {
		return nil, ruleErr(ErrWrongChainID, "coinbase chain id %#x, want %#x", cb.ChainID, p.ChainID)
	}
	if cb.To != b.Header.Miner {
		return nil, ruleErr(ErrBadCoinbase, "coinbase pays %x, header names miner %x", cb.To, b.Header.Miner)
	}
	if len(cb.Memo) > MaxMemoSize {
		return nil, ruleErr(ErrMemoTooLong, "coinbase memo %d bytes", len(cb.Memo))
	}
	for _, tx := range b.Txs[1:] {
		if err := CheckTxSanity(tx, p); err != nil {
			return nil, err
		}
	}
	ids := b.TxIDs()
	if MerkleRoot(ids) != b.Header.MerkleRoot {
		return nil, ruleErr(ErrBadMerkleRoot, "merkle root does not commit to the transactions")
	}
	seen := make(map[Hash]struct{}, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; dup {
			return nil, ruleErr(ErrDuplicateTx, "tx %s appears twice", id)
		}
		seen[id] = struct{}{}
	}
	return ids, nil
}

// VerifySignatures checks every transfer's signature in parallel. The error
// returned is that of the lowest-index bad tx, so results are deterministic.
func VerifySignatures(txs []*Tx, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(txs) {
		workers = len(txs)
	}
	if workers <= 1 {
		for _, tx := range txs {
			if err := tx.VerifySignature(); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	chunk := (len(txs) + workers - 1) / workers
	for start := 0; start < len(txs); start += chunk {
		end := min(start+chunk, len(txs))
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if err := txs[i].VerifySignature(); err != nil {
					errs[i] = err
					return // later txs in this chunk cannot lower the index
				}
			}
		}(start, end)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Stage 2: checks against the parent.

// ParentInfo is what stage 2 needs to know about a block's parent chain.
type ParentInfo struct {
	Height         uint64
	Timestamp      int64
	MedianTimePast int64 // median of the parent and its up to 10 ancestors
}

// MedianTime returns the median of up to MedianTimeBlocks timestamps (the
// upper median for an even count, as Bitcoin does). It does not modify ts.
func MedianTime(ts []int64) int64 {
	if len(ts) == 0 {
		return 0
	}
	s := append([]int64(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// NextBits is the compact target a block after parent must carry: the genesis
// bits on a no-retarget network, otherwise ASERT anchored at genesis.
func NextBits(p *Params, parentHeight uint64, parentTime int64) uint32 {
	if p.NoRetarget {
		return p.Genesis.Header.Bits
	}
	// The anchor is genesis; BCH's formula measures time from the anchor's
	// parent, which we place one spacing before genesis.
	timeDiff := parentTime - p.Genesis.Header.Timestamp + p.TargetSpacing
	return ASERTTarget(p.Genesis.Header.Bits, timeDiff, int64(parentHeight), p.TargetSpacing, p.ASERTHalfLife, p.PowLimit)
}

// CheckHeaderContext checks a header against its parent and the local clock
// `now` (Unix seconds, passed in so the rule stays pure).
func CheckHeaderContext(h *Header, parent ParentInfo, p *Params, now int64) error {
	if want := NextBits(p, parent.Height, parent.Timestamp); h.Bits != want {
		return ruleErr(ErrBadDifficulty, "bits %#08x, want %#08x", h.Bits, want)
	}
	if h.Timestamp <= parent.MedianTimePast {
		return ruleErr(ErrTimeTooOld, "timestamp %d not after median time past %d", h.Timestamp, parent.MedianTimePast)
	}
	if h.Timestamp > now+p.MaxFutureBlockTime {
		return ruleErr(ErrTimeTooNew, "timestamp %d more than %ds ahead of local time %d", h.Timestamp, p.MaxFutureBlockTime, now)
	}
	return nil
}

// CheckBlockContext checks what depends on the block's height.
func CheckBlockContext(b *Block, height uint64) error {
	if len(b.Txs) == 0 {
		// Normally caught by CheckBlockSanity; do not panic if run first.
		return ruleErr(ErrNoTxs, "block has no transactions")
	}
	if cb := b.Txs[0]; cb.Nonce != height {
		return ruleErr(ErrBadHeight, "coinbase height %d, block height %d", cb.Nonce, height)
	}
	return nil
}
