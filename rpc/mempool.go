package rpc

import (
	"context"
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
)

func (s *Server) mempoolMethods() []method {
	return []method{
		{name: "sendrawtransaction", params: []string{"hexstring"}, required: 1, fn: s.sendRawTransaction,
			errs:    []int{CodeDecode, CodeRejected, CodeMempoolRejected},
			summary: "Submit a signed transaction (hex) to the mempool; returns its txid.",
			detail: fmt.Sprintf("Errors: -22 does not decode (not hex, malformed, or over %d bytes), -25 breaks a consensus rule, "+
				"-26 refused by pool policy; data is {code, reason} with code e.g. \"ErrDecode\", \"ErrBadSignature\" "+
				"or \"ErrNonceTooLow\".", consensus.MaxTxSize)},
		{name: "getrawmempool", fn: s.getRawMempool,
			summary: "Ids of every mempool transaction, each sender's in nonce order."},
		{name: "getmempoolinfo", fn: s.getMempoolInfo,
			summary: "Mempool size and lifetime counters.",
			detail:  "Result: {size, bytes, pending, queued, senders, accepted, rejected {reason: count}, replaced, evicted, expired, included, invalidated, reinjected}."},
	}
}

func (s *Server) sendRawTransaction(_ context.Context, a *args) (any, error) {
	raw, err := a.rawData(0, "transaction", consensus.MaxTxSize, func(n int) *Error {
		return notDecoded("transaction", consensus.ErrTxTooBig.String(), fmt.Sprintf("%d bytes, max %d", n, consensus.MaxTxSize))
	})
	if err != nil {
		return nil, err
	}
	tx, err := consensus.DecodeTx(raw)
	if err != nil {
		return nil, decodeFailure("transaction", err)
	}
	return s.submitTx(tx)
}

// submitTx adds tx to the pool and returns its id as a string.
func (s *Server) submitTx(tx *consensus.Tx) (any, error) {
	id, err := s.b.Mempool.Add(tx)
	if err != nil {
		if e := rejection("transaction", err); e != nil {
			return nil, e
		}
		return nil, err
	}
	return id.String(), nil
}

func (s *Server) getRawMempool(context.Context, *args) (any, error) {
	ids := s.b.Mempool.TxIDs()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out, nil
}

type mempoolInfoJSON struct {
	Size        int               `json:"size"`
	Bytes       int               `json:"bytes"`
	Pending     int               `json:"pending"`
	Queued      int               `json:"queued"`
	Senders     int               `json:"senders"`
	Accepted    uint64            `json:"accepted"`
	Rejected    map[string]uint64 `json:"rejected"`
	Replaced    uint64            `json:"replaced"`
	Evicted     uint64            `json:"evicted"`
	Expired     uint64            `json:"expired"`
	Included    uint64            `json:"included"`
	Invalidated uint64            `json:"invalidated"`
	Reinjected  uint64            `json:"reinjected"`
}

func (s *Server) getMempoolInfo(context.Context, *args) (any, error) {
	st := s.b.Mempool.Stats()
	rejected := st.Rejected
	if rejected == nil {
		rejected = map[string]uint64{}
	}
	return mempoolInfoJSON{
		Size: st.Count, Bytes: st.Bytes, Pending: st.Pending, Queued: st.Queued, Senders: st.Senders,
		Accepted: st.Accepted, Rejected: rejected, Replaced: st.Replaced, Evicted: st.Evicted,
		Expired: st.Expired, Included: st.Included, Invalidated: st.Invalidated, Reinjected: st.Reinjected,
	}, nil
}
