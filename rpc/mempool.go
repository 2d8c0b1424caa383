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

func (s *Server) sendRawTransaction(ctx context.Context, a *args) (any, error) {
	if r, ok := ctx.Value(presubmitKey{}).(*txResult); ok {
		return s.txAnswer(r.id, r.err) // added with its batch (presubmitter)
	}
	tx, err := decodeRawTx(a)
	if err != nil {
		return nil, err
	}
	return s.submitTx(tx)
}

func decodeRawTx(a *args) (*consensus.Tx, error) {
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
	return tx, nil
}

// submitTx adds tx to the pool and returns its id as a string.
func (s *Server) submitTx(tx *consensus.Tx) (any, error) {
	id, err := s.b.Mempool.Add(tx)
	return s.txAnswer(id, err)
}

// txAnswer is sendrawtransaction's answer for the pool's (id, err).
func (s *Server) txAnswer(id consensus.Hash, err error) (any, error) {
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

// batchAdder is the pool's AddBatch (*mempool.Pool has it): answers equal
// to Add on each tx in turn, signatures verified as one batch.
type batchAdder interface {
	AddBatch(txs []*consensus.Tx) ([]consensus.Hash, []error)
}

type presubmitKey struct{}

// txResult is what the pool answered for one call's tx.
type txResult struct {
	id  consensus.Hash
	err error
}

// presubmitter adds the txs of each run of consecutive sendrawtransaction
// calls in a JSON-RPC batch with one AddBatch, just before the run's first
// call executes; each call then answers with its own tx's result. Calls
// between runs see the pool as they would one by one. Calls that fail
// before the pool (params, decoding) are left to the handler, which fails
// them the same way.
type presubmitter struct {
	s     *Server
	calls []call
	upto  int // calls before upto have been considered
	res   map[int]*txResult
}

func (s *Server) newPresubmitter(calls []call) *presubmitter {
	return &presubmitter{s: s, calls: calls}
}

func isSendRaw(c call) bool { return c.err == nil && c.req.Method == "sendrawtransaction" }

// context is ctx for call i, carrying its tx's result if its run was
// added as a batch.
func (p *presubmitter) context(ctx context.Context, i int) context.Context {
	if len(p.calls) < 2 || !isSendRaw(p.calls[i]) {
		return ctx
	}
	if i >= p.upto {
		p.run(i)
	}
	if r := p.res[i]; r != nil {
		return context.WithValue(ctx, presubmitKey{}, r)
	}
	return ctx
}

func (p *presubmitter) run(first int) {
	end := first
	for end < len(p.calls) && isSendRaw(p.calls[end]) {
		end++
	}
	p.upto = end
	ba, ok := p.s.b.Mempool.(batchAdder)
	m := p.s.methods["sendrawtransaction"]
	if !ok || m == nil || end-first < 2 {
		return
	}
	var idx []int
	var txs []*consensus.Tx
	for i := first; i < end; i++ {
		a, perr := bindParams(m, p.calls[i].req.Params, p.s.b.Params.AddressHRP)
		if perr != nil {
			continue
		}
		tx, err := decodeRawTx(a)
		if err != nil {
			continue
		}
		idx = append(idx, i)
		txs = append(txs, tx)
	}
	if len(txs) < 2 {
		return
	}
	ids, errs := ba.AddBatch(txs)
	if p.res == nil {
		p.res = make(map[int]*txResult, len(txs))
	}
	for k, i := range idx {
		p.res[i] = &txResult{id: ids[k], err: errs[k]}
	}
}
