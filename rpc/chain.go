package rpc

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

func (s *Server) chainMethods() []method {
	return []method{
		{name: "getblockchaininfo", fn: s.getBlockchainInfo,
			summary: "Network, tip height and hash, chain work, difficulty and median time.",
			detail:  "Result: {network, height, headers (height of the best header, ahead of height while header sync waits for bodies), bestblockhash, chainwork (hex), difficulty (powLimit/target), mediantime}."},
		{name: "getblockcount", fn: s.getBlockCount,
			summary: "Height of the best block."},
		{name: "getbestblockhash", fn: s.getBestBlockHash,
			summary: "Hash of the best block."},
		{name: "getblockhash", params: []string{"height"}, required: 1, fn: s.getBlockHash, errs: []int{CodeInvalidParameter},
			summary: "Hash of the main-chain block at height.",
			detail:  "height: integer, at most getblockcount (else code -8)."},
		{name: "getblock", params: []string{"hash", "verbosity"}, required: 1, fn: s.getBlock, errs: []int{CodeNotFound, CodeInvalidParameter},
			summary: "A block by hash.",
			detail:  "verbosity: 0 raw hex, 1 header fields and tx ids (default), 2 header fields and tx objects (else code -8). Unknown block: code -5."},
		{name: "getblockheader", params: []string{"hash"}, required: 1, fn: s.getBlockHeader, errs: []int{CodeNotFound},
			summary: "A block header by hash, with height, confirmations, chain work and status."},
		{name: "getchaintips", fn: s.getChainTips,
			summary: "Every leaf of the block tree: [{height, hash, branchlen, status}], active first."},
		{name: "gettransaction", params: []string{"txid"}, required: 1, fn: s.getTransaction, errs: []int{CodeNotFound},
			summary: "A transaction from the mempool or the main chain.",
			detail:  "Result: tx fields plus blockhash, height and confirmations (0 while in the mempool). Unknown: code -5."},
		{name: "getaccount", params: []string{"address"}, required: 1, fn: s.getAccount,
			summary: "Confirmed state of an account: {address, balance, nonce}."},
		{name: "getstateinfo", fn: s.getStateInfo,
			summary: "Digest of the whole account state at the tip: {height, bestblockhash, accounts, total_balance, digest}."},
	}
}

type blockchainInfo struct {
	Network    string  `json:"network"`
	Height     uint64  `json:"height"`
	Headers    uint64  `json:"headers"`
	BestHash   string  `json:"bestblockhash"`
	ChainWork  string  `json:"chainwork"`
	Difficulty float64 `json:"difficulty"`
	MedianTime int64   `json:"mediantime"`
}

func (s *Server) getBlockchainInfo(context.Context, *args) (any, error) {
	tip := s.b.Chain.Tip()
	return blockchainInfo{
		Network: s.b.Params.Name, Height: tip.Height, Headers: max(tip.Height, s.b.Chain.BestHeader().Height), BestHash: tip.Hash.String(),
		ChainWork: workHex(tip.ChainWork), Difficulty: s.difficulty(tip.Header.Bits), MedianTime: tip.MedianTime,
	}, nil
}

func (s *Server) getBlockCount(context.Context, *args) (any, error) {
	return s.b.Chain.Tip().Height, nil
}

func (s *Server) getBestBlockHash(context.Context, *args) (any, error) {
	return s.b.Chain.Tip().Hash.String(), nil
}

func (s *Server) getBlockHash(_ context.Context, a *args) (any, error) {
	height, err := a.uint(0, 0)
	if err != nil {
		return nil, err
	}
	h, err := s.b.Chain.HashAt(height)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, invalidParameter("block height %d out of range (tip is at %d)", height, s.b.Chain.Tip().Height)
	}
	if err != nil {
		return nil, err
	}
	return h.String(), nil
}

// blockInfo looks a block up, mapping "unknown" to CodeNotFound.
func (s *Server) blockInfo(h consensus.Hash) (chain.BlockInfo, error) {
	bi, err := s.b.Chain.BlockInfo(h)
	if errors.Is(err, chain.ErrNotFound) {
		return bi, notFound("block %s not found", h)
	}
	return bi, err
}

type blockJSON struct {
	headerJSON
	Size int `json:"size"`
	NTx  int `json:"ntx"`
	Tx   any `json:"tx"` // []string (verbosity 1) or []txJSON (verbosity 2)
}

func (s *Server) getBlock(_ context.Context, a *args) (any, error) {
	h, err := a.hash(0)
	if err != nil {
		return nil, err
	}
	verbosity, err := a.uint(1, 1)
	if err != nil {
		return nil, err
	}
	if verbosity > 2 {
		return nil, invalidParameter("verbosity must be 0, 1 or 2, got %d", verbosity)
	}
	bi, err := s.blockInfo(h)
	if err != nil {
		return nil, err
	}
	if verbosity == 0 {
		raw, err := s.b.Chain.BlockRaw(h)
		if errors.Is(err, chain.ErrNotFound) {
			return nil, notFound("block %s not found", h)
		}
		if err != nil {
			return nil, err
		}
		return hex.EncodeToString(raw), nil
	}
	blk, err := s.b.Chain.Block(h)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, notFound("block %s not found", h)
	}
	if err != nil {
		return nil, err
	}
	out := blockJSON{headerJSON: s.formatHeader(bi, s.b.Chain.Tip()), Size: blk.EncodedSize(), NTx: len(blk.Txs)}
	if verbosity == 1 {
		ids := make([]string, len(blk.Txs))
		for i, tx := range blk.Txs {
			ids[i] = tx.ID().String()
		}
		out.Tx = ids
	} else {
		txs := make([]txJSON, len(blk.Txs))
		for i, tx := range blk.Txs {
			txs[i] = s.formatTx(tx)
		}
		out.Tx = txs
	}
	return out, nil
}

func (s *Server) getBlockHeader(_ context.Context, a *args) (any, error) {
	h, err := a.hash(0)
	if err != nil {
		return nil, err
	}
	bi, err := s.blockInfo(h)
	if err != nil {
		return nil, err
	}
	return s.formatHeader(bi, s.b.Chain.Tip()), nil
}

type chainTipJSON struct {
	Height    uint64 `json:"height"`
	Hash      string `json:"hash"`
	BranchLen uint64 `json:"branchlen"`
	Status    string `json:"status"`
}

func (s *Server) getChainTips(context.Context, *args) (any, error) {
	tips := s.b.Chain.Tips()
	out := make([]chainTipJSON, len(tips))
	for i, t := range tips {
		out[i] = chainTipJSON{Height: t.Height, Hash: t.Hash.String(), BranchLen: t.BranchLength, Status: t.Status}
	}
	return out, nil
}

type walletTxJSON struct {
	txJSON
	BlockHash     string  `json:"blockhash,omitempty"`
	Height        *uint64 `json:"height,omitempty"`
	Confirmations uint64  `json:"confirmations"`
	Time          int64   `json:"time,omitempty"` // block time
}

func (s *Server) getTransaction(_ context.Context, a *args) (any, error) {
	id, err := a.hash(0)
	if err != nil {
		return nil, err
	}
	if tx, ok := s.b.Mempool.Get(id); ok {
		return walletTxJSON{txJSON: s.formatTx(tx)}, nil
	}
	tx, loc, err := s.b.Chain.Tx(id)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, notFound("transaction %s not found in the mempool or the main chain", id)
	}
	if err != nil {
		return nil, err
	}
	bi, err := s.b.Chain.BlockInfo(loc.BlockHash)
	if err != nil {
		return nil, err
	}
	out := walletTxJSON{txJSON: s.formatTx(tx), BlockHash: loc.BlockHash.String(), Height: &bi.Height, Time: bi.Header.Timestamp}
	if tip := s.b.Chain.Tip(); tip.Height >= bi.Height {
		out.Confirmations = tip.Height - bi.Height + 1
	}
	return out, nil
}

type accountJSON struct {
	Address string `json:"address"`
	Balance uint64 `json:"balance"`
	Nonce   uint64 `json:"nonce"`
}

func (s *Server) getAccount(_ context.Context, a *args) (any, error) {
	addr, err := a.address(0)
	if err != nil {
		return nil, err
	}
	acct, err := s.b.Chain.Account(addr)
	if err != nil {
		return nil, err
	}
	return accountJSON{Address: addr.Encode(s.b.Params.AddressHRP), Balance: acct.Balance, Nonce: acct.Nonce}, nil
}

type stateInfoJSON struct {
	Height       uint64 `json:"height"`
	BestHash     string `json:"bestblockhash"`
	Accounts     uint64 `json:"accounts"`
	TotalBalance uint64 `json:"total_balance"`
	Digest       string `json:"digest"`
}

func (s *Server) getStateInfo(context.Context, *args) (any, error) {
	si, err := s.b.Chain.StateInfo()
	if err != nil {
		return nil, err
	}
	return stateInfoJSON{Height: si.Height, BestHash: si.BestHash.String(), Accounts: si.Accounts,
		TotalBalance: si.TotalBalance, Digest: si.Digest.String()}, nil
}
