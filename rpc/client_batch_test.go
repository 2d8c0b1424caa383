package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// CallBatch returns one answer per call, in call order, with per-call
// refusals as *Error and the results of the others intact; a next_nonce
// from getaccount counts the pool's txs.
func TestClientCallBatch(t *testing.T) {
	p, keys := fundedNetwork(t, "clientbatch", 2)
	n := newTestNode(t, nodeOptions{params: p})
	ctx := context.Background()
	to := keyAddr(testKey("clientbatch-sink"))
	var params []any
	for nonce := range 3 {
		_, h := signedTransfer(t, p, keys[0], uint64(nonce), to, 1000, p.MinTxFee)
		params = append(params, []any{h})
	}
	params = append(params, []any{"zz"}) // not hex
	_, dup := signedTransfer(t, p, keys[0], 0, to, 1000, p.MinTxFee)
	params = append(params, []any{dup}) // already in the pool by now
	res, err := n.client.CallBatch(ctx, "sendrawtransaction", params)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(params) {
		t.Fatalf("%d answers for %d calls", len(res), len(params))
	}
	for i := range 3 {
		var id string
		if res[i].Err != nil || json.Unmarshal(res[i].Result, &id) != nil || len(id) != 64 {
			t.Fatalf("call %d: result %s err %v", i, res[i].Result, res[i].Err)
		}
	}
	var re *Error
	if !errors.As(res[3].Err, &re) || re.Code != CodeDecode {
		t.Fatalf("undecodable tx: %v", res[3].Err)
	}
	if !errors.As(res[4].Err, &re) || re.Code != CodeMempoolRejected {
		t.Fatalf("duplicate tx: %v", res[4].Err)
	}
	var acct accountJSON
	addr := keyAddr(keys[0]).Encode(p.AddressHRP)
	if err := n.client.Call(ctx, "getaccount", []any{addr}, &acct); err != nil {
		t.Fatal(err)
	}
	if acct.Nonce != 0 || acct.NextNonce != 3 {
		t.Fatalf("getaccount nonce %d next_nonce %d, want 0 and 3", acct.Nonce, acct.NextNonce)
	}
	// Too many calls: the server refuses the batch as a whole.
	big := make([]any, maxBatch+1)
	for i := range big {
		big[i] = []any{"00"}
	}
	if _, err := n.client.CallBatch(ctx, "sendrawtransaction", big); !errors.As(err, &re) || re.Code != CodeInvalidRequest {
		t.Fatalf("oversized batch: %v", err)
	}
}

// A server that lies in its batch answer (an id twice, an id it was never
// sent, an answer missing, not a batch at all) gets an error for the whole
// batch, never answers attributed to the wrong call.
func TestClientCallBatchRefusesLyingAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"repeated id": `[{"jsonrpc":"2.0","id":0,"result":"a"},{"jsonrpc":"2.0","id":0,"result":"b"}]`,
		"unknown id":  `[{"jsonrpc":"2.0","id":0,"result":"a"},{"jsonrpc":"2.0","id":7,"result":"b"}]`,
		"no id":       `[{"jsonrpc":"2.0","id":0,"result":"a"},{"jsonrpc":"2.0","result":"b"}]`,
		"missing":     `[{"jsonrpc":"2.0","id":1,"result":"b"}]`,
		"not a batch": `{"jsonrpc":"2.0","id":0,"result":"a"}`,
		"not json":    `<html>`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			c := &Client{URL: srv.URL}
			res, err := c.CallBatch(context.Background(), "m", []any{[]any{1}, []any{2}})
			if err == nil {
				t.Fatalf("lying answer accepted: %+v", res)
			}
		})
	}
}
