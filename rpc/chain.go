package rpc

import (
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

func (s *Server) chainMethods() []method {
	return []method{
		{name: "getblockchaininfo", fn: s.getBlockchainInfo,
			summary: "Network, tip height and hash, chain work, difficulty and median time.",
			detail: "Result: {network, blocks and height (both the tip height), headers (height of the best header, ahead of blocks while header sync waits for bodies), " +
				"bestblockhash, chainwork (hex), difficulty (powLimit/target), mediantime, " +
				"initialblockdownload (true while the tip has less than the network's minimum chain work, or is more than a day of target spacings behind the best header or the best height a peer reports), " +
				"verificationprogress (blocks / the best height known from headers and peers, 1 when caught up), " +
				"size_on_disk (bytes of the chain database), peers (connections), mempool {size (txs), bytes}}."},
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
			summary: "Confirmed state of an account: {address, balance, nonce, next_nonce} (next_nonce counts this node's pool txs)."},
		{name: "getstateinfo", fn: s.getStateInfo,
			summary: "Digest of the whole account state at the tip: {height, bestblockhash, accounts, total_balance, digest}."},
	}
}

type blockchainInfo struct {
	Network    string      `json:"network"`
	Blocks     uint64      `json:"blocks"`
	Height     uint64      `json:"height"`
	Headers    uint64      `json:"headers"`
	BestHash   string      `json:"bestblockhash"`
	ChainWork  string      `json:"chainwork"`
	Difficulty float64     `json:"difficulty"`
	MedianTime int64       `json:"mediantime"`
	IBD        bool        `json:"initialblockdownload"`
	Progress   float64     `json:"verificationprogress"`
	SizeOnDisk int64       `json:"size_on_disk"`
	Peers      int         `json:"peers"`
	Mempool    mempoolSize `json:"mempool"`
}

type mempoolSize struct {
	Size  int `json:"size"`
	Bytes int `json:"bytes"`
}

func (s *Server) getBlockchainInfo(context.Context, *args) (any, error) {
	tip := s.b.Chain.Tip()
	headers := max(tip.Height, s.b.Chain.BestHeader().Height)
	known, peers := headers, 0
	if s.b.Network != nil {
		peers = s.b.Network.ConnectionCount()
		for _, p := range s.b.Network.Peers() {
			known = max(known, p.BestHeight)
		}
	}
	out := blockchainInfo{
		Network: s.b.Params.Name, Blocks: tip.Height, Height: tip.Height, Headers: headers, BestHash: tip.Hash.String(),
		ChainWork: workHex(tip.ChainWork), Difficulty: s.difficulty(tip.Header.Bits), MedianTime: tip.MedianTime,
		IBD:      InitialBlockDownload(s.b.Params, tip.Height, known, tip.ChainWork),
		Progress: 1, Peers: peers,
		Mempool: mempoolSize{Size: s.b.Mempool.Count(), Bytes: s.b.Mempool.Bytes()},
	}
	if known > 0 {
		out.Progress = float64(tip.Height) / float64(known)
	}
	if s.b.ChainDir != "" {
		out.SizeOnDisk = dirSize(s.b.ChainDir)
	}
	return out, nil
}

// InitialBlockDownload is Core's IsInitialBlockDownload with heights in
// place of the tip's age (a local testnet that pauses for a day is not
// syncing): true while the tip has less than the network's minimum chain
// work, or lies more than a day of target spacings below the best height
// known from our headers and our peers. The node's status line uses it too.
func InitialBlockDownload(p *consensus.Params, tip, known uint64, work *uint256.Int) bool {
	if p.MinChainWork != nil && work != nil && work.Lt(p.MinChainWork) {
		return true
	}
	day := uint64(86400 / max(p.TargetSpacing, 1))
	return known > tip && known-tip > day
}

// dirSize is the bytes of the regular files under dir (0 if unreadable).
func dirSize(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file compacted away mid-walk
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
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
	// NextNonce is the nonce a new transfer should use: the confirmed
	// nonce plus this node's pool txs that continue it.
	NextNonce uint64 `json:"next_nonce"`
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
	next, err := s.b.Mempool.NextNonce(addr)
	if err != nil {
		return nil, err
	}
	return accountJSON{Address: addr.Encode(s.b.Params.AddressHRP), Balance: acct.Balance, Nonce: acct.Nonce, NextNonce: max(next, acct.Nonce)}, nil
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
