package rpc

import (
	"encoding/hex"
	"fmt"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// Result shapes shared by several methods. Amounts are base units, hashes
// and raw data lowercase hex, addresses bech32m, times Unix seconds.

type txJSON struct {
	TxID   string `json:"txid"`
	Kind   string `json:"kind"` // "transfer" or "coinbase"
	From   string `json:"from,omitempty"`
	To     string `json:"to"`
	Amount uint64 `json:"amount"`
	Fee    uint64 `json:"fee"`
	Nonce  uint64 `json:"nonce"` // the block height for a coinbase
	Memo   string `json:"memo,omitempty"`
	Size   int    `json:"size"`
	Hex    string `json:"hex"`
}

func (s *Server) formatTx(tx *consensus.Tx) txJSON {
	hrp := s.b.Params.AddressHRP
	raw := tx.Encode()
	out := txJSON{
		TxID: consensus.DoubleSHA256(raw).String(), Kind: "transfer",
		To: tx.To.Encode(hrp), Amount: tx.Amount, Fee: tx.Fee, Nonce: tx.Nonce,
		Memo: hex.EncodeToString(tx.Memo), Size: len(raw), Hex: hex.EncodeToString(raw),
	}
	if tx.IsCoinbase() {
		out.Kind = "coinbase"
	} else {
		out.From = tx.Sender().Encode(hrp)
	}
	return out
}

type headerJSON struct {
	Hash          string  `json:"hash"`
	Confirmations int64   `json:"confirmations"` // -1 off the main chain
	Height        uint64  `json:"height"`
	Version       uint32  `json:"version"`
	PrevHash      string  `json:"previousblockhash,omitempty"`
	NextHash      string  `json:"nextblockhash,omitempty"`
	MerkleRoot    string  `json:"merkleroot"`
	Time          int64   `json:"time"`
	MedianTime    int64   `json:"mediantime"`
	Bits          string  `json:"bits"`
	Nonce         uint64  `json:"nonce"`
	Miner         string  `json:"miner"`
	Difficulty    float64 `json:"difficulty"`
	ChainWork     string  `json:"chainwork"`
	Status        string  `json:"status"`
}

func (s *Server) formatHeader(bi chain.BlockInfo, tip chain.BlockInfo) headerJSON {
	h := bi.Header
	out := headerJSON{
		Hash: bi.Hash.String(), Confirmations: -1, Height: bi.Height, Version: h.Version,
		MerkleRoot: h.MerkleRoot.String(), Time: h.Timestamp, MedianTime: bi.MedianTime,
		Bits: fmt.Sprintf("%08x", h.Bits), Nonce: h.Nonce, Miner: h.Miner.Encode(s.b.Params.AddressHRP),
		Difficulty: s.difficulty(h.Bits), ChainWork: workHex(bi.ChainWork), Status: bi.Status,
	}
	if bi.Height > 0 {
		out.PrevHash = h.PrevHash.String()
	}
	if bi.MainChain {
		out.Confirmations = int64(tip.Height-bi.Height) + 1
		if bi.Height < tip.Height {
			if next, err := s.b.Chain.HashAt(bi.Height + 1); err == nil {
				out.NextHash = next.String()
			}
		}
	}
	return out
}

// difficulty is powLimit / target: 1 at the easiest allowed target.
func (s *Server) difficulty(bits uint32) float64 {
	t, neg, over := consensus.CompactToTarget(bits)
	if neg || over || t.IsZero() {
		return 0
	}
	return s.b.Params.PowLimit.Float64() / t.Float64()
}

// workHex renders cumulative work as 64 hex digits, as bitcoind does.
func workHex(w *uint256.Int) string {
	if w == nil {
		w = new(uint256.Int)
	}
	b := w.Bytes32()
	return hex.EncodeToString(b[:])
}
