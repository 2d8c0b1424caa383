package rpc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/consensus"
)

// maxGenerate bounds generatetoaddress; each block is mined and connected
// inside one HTTP request.
const maxGenerate = 1000

// hashrateWindow is how many blocks networkhashps averages over.
const hashrateWindow = 120

func (s *Server) miningMethods() []method {
	return []method{
		{name: "getmininginfo", fn: s.getMiningInfo,
			summary: "Tip height, difficulty, network and local hash rate, mempool size and miner state.",
			detail:  "Result: {blocks, difficulty, networkhashps, pooledtx, chain, mining, threads, hashes, localhashps}."},
		{name: "generatetoaddress", params: []string{"nblocks", "address"}, required: 2, fn: s.generateToAddress,
			errs:    []int{CodeInvalidParameter, CodeNotAllowed, CodeMisc, CodeRejected},
			summary: "Mine nblocks blocks paying address now; returns their hashes.",
			detail: fmt.Sprintf("nblocks: 1 to %d. Refused on the main network (code -32). "+
				"Mempool transactions are included.", maxGenerate)},
		{name: "getblocktemplate", params: []string{"address"}, fn: s.getBlockTemplate,
			summary: "A block template for external miners.",
			detail: "Result: {height, previousblockhash, bits, target, curtime, mediantime, coinbasevalue, sizelimit, txlimit, " +
				"transactions [{hex, txid, fee}]}; with address also blockhex, an unsolved block paying address: " +
				"vary its header nonce (and time) until the hash meets target, then submitblock it."},
		{name: "submitblock", params: []string{"hexdata"}, required: 1, fn: s.submitBlock, errs: []int{CodeDecode, CodeRejected},
			summary: "Submit a solved block (hex); null when accepted.",
			detail: "Returns null when accepted, \"duplicate\" if already known, \"duplicate-invalid\" if known invalid, " +
				"\"inconclusive\" if held as an orphan, \"low-work\" if not stored because its chain has less work than the tip " +
				"(headers-first rule: a side branch arrives through header sync). Errors: -22 does not decode (not hex, malformed), " +
				"-25 breaks a consensus rule (including a block over sizelimit bytes); " +
				"data is {code: e.g. \"ErrDecode\" or \"ErrBadMerkleRoot\", reason}."},
		{name: "invalidateblock", params: []string{"hash"}, required: 1, fn: s.invalidateBlock, errs: []int{CodeNotFound, CodeInvalidParameter},
			summary: "Mark a block and its descendants invalid and move to the best remaining chain."},
		{name: "reconsiderblock", params: []string{"hash"}, required: 1, fn: s.reconsiderBlock, errs: []int{CodeNotFound, CodeInvalidParameter},
			summary: "Undo invalidateblock for a block, its ancestors and descendants."},
	}
}

type miningInfoJSON struct {
	Blocks        uint64  `json:"blocks"`
	Difficulty    float64 `json:"difficulty"`
	NetworkHashPS float64 `json:"networkhashps"`
	PooledTx      int     `json:"pooledtx"`
	Chain         string  `json:"chain"`
	Mining        bool    `json:"mining"`
	Threads       int     `json:"threads"`
	Hashes        uint64  `json:"hashes"`
	LocalHashPS   float64 `json:"localhashps"`
}

func (s *Server) getMiningInfo(context.Context, *args) (any, error) {
	tip := s.b.Chain.Tip()
	out := miningInfoJSON{
		Blocks: tip.Height, Difficulty: s.difficulty(tip.Header.Bits), NetworkHashPS: s.networkHashPS(tip),
		PooledTx: s.b.Mempool.Count(), Chain: s.b.Params.Name, Mining: s.b.Mining, Threads: s.b.MinerThreads,
	}
	if s.b.Miner != nil {
		out.Hashes = s.b.Miner.Hashes()
		if up := s.cfg.Now().Sub(s.b.StartTime).Seconds(); up > 0 && !s.b.StartTime.IsZero() {
			out.LocalHashPS = float64(out.Hashes) / up
		}
	}
	return out, nil
}

// networkHashPS estimates hashes per second from the work and time of the
// last hashrateWindow blocks.
func (s *Server) networkHashPS(tip chain.BlockInfo) float64 {
	if tip.Height == 0 {
		return 0
	}
	from := uint64(0)
	if tip.Height > hashrateWindow {
		from = tip.Height - hashrateWindow
	}
	h, err := s.b.Chain.HashAt(from)
	if err != nil {
		return 0
	}
	old, err := s.b.Chain.BlockInfo(h)
	if err != nil || old.ChainWork == nil || tip.ChainWork == nil {
		return 0
	}
	secs := tip.Header.Timestamp - old.Header.Timestamp
	if secs <= 0 {
		secs = 1
	}
	return (tip.ChainWork.Float64() - old.ChainWork.Float64()) / float64(secs)
}

func (s *Server) generateToAddress(ctx context.Context, a *args) (any, error) {
	n, err := a.uint(0, 0)
	if err != nil {
		return nil, err
	}
	addr, err := a.address(1)
	if err != nil {
		return nil, err
	}
	if s.b.Params.Name == "main" {
		return nil, newError(CodeNotAllowed, "generatetoaddress is not allowed on the main network: mine with `cairn node --mine`")
	}
	if n < 1 || n > maxGenerate {
		return nil, invalidParameter("nblocks must be between 1 and %d, got %d", maxGenerate, n)
	}
	if s.b.Miner == nil {
		return nil, newError(CodeMisc, "this node has no miner")
	}
	hashes, err := s.b.Miner.Generate(ctx, int(n), addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, newError(CodeMisc, "generatetoaddress stopped after %d of %d blocks: %v", len(hashes), n, ctx.Err())
		}
		if e := rejection("block", err); e != nil {
			return nil, e
		}
		return nil, err
	}
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = h.String()
	}
	return out, nil
}

type templateTxJSON struct {
	Hex  string `json:"hex"`
	TxID string `json:"txid"`
	Fee  uint64 `json:"fee"`
}

type blockTemplateJSON struct {
	Height        uint64           `json:"height"`
	PrevHash      string           `json:"previousblockhash"`
	Bits          string           `json:"bits"`
	Target        string           `json:"target"`
	CurTime       int64            `json:"curtime"`
	MedianTime    int64            `json:"mediantime"`
	CoinbaseValue uint64           `json:"coinbasevalue"`
	SizeLimit     int              `json:"sizelimit"`
	TxLimit       int              `json:"txlimit"`
	Transactions  []templateTxJSON `json:"transactions"`
	BlockHex      string           `json:"blockhex,omitempty"`
}

func (s *Server) getBlockTemplate(_ context.Context, a *args) (any, error) {
	var addr consensus.Address
	if a.has(0) {
		var err error
		if addr, err = a.address(0); err != nil {
			return nil, err
		}
	}
	tip := s.b.Chain.Tip()
	blk, err := miner.NewTemplate(s.b.Chain, s.b.Mempool, addr, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	target, _, _ := consensus.CompactToTarget(blk.Header.Bits)
	tb := target.Bytes32()
	out := blockTemplateJSON{
		Height: tip.Height + 1, PrevHash: blk.Header.PrevHash.String(),
		Bits: fmt.Sprintf("%08x", blk.Header.Bits), Target: hex.EncodeToString(tb[:]),
		CurTime: blk.Header.Timestamp, MedianTime: tip.MedianTime, CoinbaseValue: blk.Txs[0].Amount,
		SizeLimit: s.b.Params.MaxBlockSize, TxLimit: s.b.Params.MaxBlockTxs,
		Transactions: make([]templateTxJSON, 0, len(blk.Txs)-1),
	}
	for _, tx := range blk.Txs[1:] {
		raw := tx.Encode()
		out.Transactions = append(out.Transactions, templateTxJSON{
			Hex: hex.EncodeToString(raw), TxID: consensus.DoubleSHA256(raw).String(), Fee: tx.Fee})
	}
	if a.has(0) {
		out.BlockHex = hex.EncodeToString(blk.Encode())
	}
	return out, nil
}

func (s *Server) submitBlock(_ context.Context, a *args) (any, error) {
	// A block over the network's size limit breaks a rule however it
	// decodes: refuse it as validation would, before decoding anything.
	maxSize := s.b.Params.MaxBlockSize
	raw, err := a.rawData(0, "block", maxSize, func(n int) *Error {
		reason := fmt.Sprintf("%d bytes, max %d", n, maxSize)
		return withData(newError(CodeRejected, "block rejected: %s: %s", consensus.ErrBlockTooBig, reason), consensus.ErrBlockTooBig.String(), reason)
	})
	if err != nil {
		return nil, err
	}
	blk, err := consensus.DecodeBlock(raw)
	if err != nil {
		return nil, decodeFailure("block", err)
	}
	hash := blk.Hash()
	_, orphan, err := s.b.Chain.ProcessBlock(blk)
	switch {
	case errors.Is(err, chain.ErrAlreadyHave):
		if bi, ierr := s.b.Chain.BlockInfo(hash); ierr == nil && bi.Status == "invalid" {
			return "duplicate-invalid", nil
		}
		return "duplicate", nil
	case errors.Is(err, chain.ErrLowWork):
		return "low-work", nil
	case err != nil:
		if e := rejection("block", err); e != nil {
			return nil, e
		}
		return nil, err
	case orphan:
		return "inconclusive", nil
	}
	return nil, nil
}

func (s *Server) invalidateBlock(_ context.Context, a *args) (any, error) {
	return s.changeValidity(a, s.b.Chain.InvalidateBlock)
}

func (s *Server) reconsiderBlock(_ context.Context, a *args) (any, error) {
	return s.changeValidity(a, s.b.Chain.ReconsiderBlock)
}

func (s *Server) changeValidity(a *args, op func(consensus.Hash) error) (any, error) {
	h, err := a.hash(0)
	if err != nil {
		return nil, err
	}
	switch err := op(h); {
	case errors.Is(err, chain.ErrUnknownBlock), errors.Is(err, chain.ErrNotFound):
		return nil, notFound("block %s not found", h)
	case errors.Is(err, chain.ErrGenesisChange):
		return nil, invalidParameter("%v", err)
	case err != nil:
		return nil, err
	}
	return nil, nil
}
