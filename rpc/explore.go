package rpc

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

// maxHistory bounds one getaddresshistory or getmempooltxs page.
const maxHistory = 500

func (s *Server) exploreMethods() []method {
	return []method{
		{name: "getaddresshistory", params: []string{"address", "count", "skip"}, required: 1, fn: s.getAddressHistory, errs: []int{CodeInvalidParameter},
			summary: "Txs sending to or from address: mempool first, then the main chain newest first.",
			detail: "count: default 50, max " + strconv.Itoa(maxHistory) + "; skip: main-chain entries to skip (default 0). " +
				"Result: {address, balance, nonce, mempool: [tx], txs: [tx with blockhash, height, confirmations, time]}."},
		{name: "getmempooltxs", params: []string{"count"}, fn: s.getMempoolTxs, errs: []int{CodeInvalidParameter},
			summary: "Up to count (default 100) mempool transactions as objects, each sender's in nonce order."},
		{name: "search", params: []string{"query"}, required: 1, fn: s.search, errs: []int{CodeNotFound},
			summary: "What a height, block hash, txid or address names: {type: block|tx|address, id}.",
			detail:  "A height or block hash gives {type: \"block\", id: hash}; a txid (mempool or main chain) {type: \"tx\"}; an address {type: \"address\"}. Nothing: code -5."},
	}
}

func (s *Server) notifyMethods() []method {
	wsOnly := func(context.Context, *args) (any, error) {
		return nil, newError(CodeInvalidRequest, "invalid request: subscribe and unsubscribe work only over a websocket connection")
	}
	return []method{
		{name: "subscribe", params: []string{"topic", "address"}, required: 1, fn: wsOnly, errs: []int{CodeInvalidParameter},
			summary: "Websocket only: subscribe to \"newtips\", \"mempool\" or \"address\" (with an address); returns the subscription id.",
			detail: "Notifications: {method: \"subscription\", params: {subscription, topic, result}}. newtips: {event: connected|disconnected, height, hash, prevhash, time, ntx}, " +
				"a reorg as disconnects (tip first) then connects; mempool: {txid, from, to, amount, fee, nonce, size}; address: {address, event: mempool|connected|disconnected, " +
				"direction: incoming|outgoing|self, txid, kind, from, to, amount, fee, height, blockhash}. A client that lets its queue fill is closed with code 1008."},
		{name: "unsubscribe", params: []string{"subscription"}, required: 1, fn: wsOnly, errs: []int{CodeInvalidParameter},
			summary: "Websocket only: cancel a subscription by id."},
	}
}

type historyTxJSON struct {
	txJSON
	BlockHash     string  `json:"blockhash,omitempty"`
	Height        *uint64 `json:"height,omitempty"`
	Confirmations uint64  `json:"confirmations"`
	Time          int64   `json:"time,omitempty"`
}

type historyJSON struct {
	Address string          `json:"address"`
	Balance uint64          `json:"balance"`
	Nonce   uint64          `json:"nonce"`
	Mempool []txJSON        `json:"mempool"`
	Txs     []historyTxJSON `json:"txs"`
}

func (s *Server) getAddressHistory(_ context.Context, a *args) (any, error) {
	addr, err := a.address(0)
	if err != nil {
		return nil, err
	}
	count, err := a.uint(1, 50)
	if err != nil {
		return nil, err
	}
	skip, err := a.uint(2, 0)
	if err != nil {
		return nil, err
	}
	if count == 0 || count > maxHistory || skip > 1<<31 {
		return nil, invalidParameter("count must be 1..%d and skip at most 2^31", maxHistory)
	}
	acct, err := s.b.Chain.Account(addr)
	if err != nil {
		return nil, err
	}
	out := historyJSON{Address: addr.Encode(s.b.Params.AddressHRP), Balance: acct.Balance, Nonce: acct.Nonce, Mempool: []txJSON{}, Txs: []historyTxJSON{}}
	if skip == 0 {
		for _, tx := range s.b.Mempool.TxsTouching(addr) {
			out.Mempool = append(out.Mempool, s.formatTx(tx))
		}
	}
	ents, err := s.b.Chain.AddressTxs(addr, int(count), int(skip))
	if err != nil {
		return nil, err
	}
	tip := s.b.Chain.Tip()
	for _, e := range ents {
		tx, loc, err := s.b.Chain.Tx(e.TxID)
		if errors.Is(err, chain.ErrNotFound) {
			continue // reorged out between the two reads
		}
		if err != nil {
			return nil, err
		}
		bi, err := s.b.Chain.BlockInfo(loc.BlockHash)
		if err != nil {
			return nil, err
		}
		h := bi.Height
		ht := historyTxJSON{txJSON: s.formatTx(tx), BlockHash: loc.BlockHash.String(), Height: &h, Time: bi.Header.Timestamp}
		if tip.Height >= h {
			ht.Confirmations = tip.Height - h + 1
		}
		out.Txs = append(out.Txs, ht)
	}
	return out, nil
}

func (s *Server) getMempoolTxs(_ context.Context, a *args) (any, error) {
	count, err := a.uint(0, 100)
	if err != nil {
		return nil, err
	}
	if count == 0 || count > maxHistory {
		return nil, invalidParameter("count must be 1..%d", maxHistory)
	}
	txs := s.b.Mempool.Txs()
	out := make([]txJSON, 0, min(len(txs), int(count)))
	for _, tx := range txs[:min(len(txs), int(count))] {
		out = append(out, s.formatTx(tx))
	}
	return out, nil
}

type searchJSON struct {
	Type string `json:"type"` // "block", "tx" or "address"
	ID   string `json:"id"`
}

func (s *Server) search(_ context.Context, a *args) (any, error) {
	q, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if h, err := strconv.ParseUint(q, 10, 64); err == nil {
		hash, err := s.b.Chain.HashAt(h)
		if err != nil {
			return nil, notFound("no block at height %d (tip is at %d)", h, s.b.Chain.Tip().Height)
		}
		return searchJSON{"block", hash.String()}, nil
	}
	if addr, err := consensus.DecodeAddress(strings.ToLower(q), s.b.Params.AddressHRP); err == nil {
		return searchJSON{"address", addr.Encode(s.b.Params.AddressHRP)}, nil
	}
	if h, err := consensus.ParseHash(strings.ToLower(q)); err == nil {
		if _, err := s.b.Chain.BlockInfo(h); err == nil {
			return searchJSON{"block", h.String()}, nil
		}
		if _, ok := s.b.Mempool.Get(h); ok {
			return searchJSON{"tx", h.String()}, nil
		}
		if _, _, err := s.b.Chain.Tx(h); err == nil {
			return searchJSON{"tx", h.String()}, nil
		}
	}
	return nil, notFound("nothing found for %q: enter a height, block hash, txid or address", q)
}
