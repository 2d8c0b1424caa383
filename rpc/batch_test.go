package rpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/cairn-chain/cairn/consensus"
)

// fundedNetwork is a regtest-based network whose genesis funds keys.
func fundedNetwork(tb testing.TB, prefix string, n int) (*consensus.Params, []*btcec.PrivateKey) {
	tb.Helper()
	keys := make([]*btcec.PrivateKey, n)
	type alloc struct {
		Address string `json:"address"`
		Amount  uint64 `json:"amount"`
	}
	allocs := make([]alloc, n)
	hrp := consensus.RegtestParams().AddressHRP
	for i := range keys {
		keys[i] = testKey(fmt.Sprintf("%s-%d", prefix, i))
		allocs[i] = alloc{Address: keyAddr(keys[i]).Encode(hrp), Amount: 1000 * consensus.Coin}
	}
	spec, err := json.Marshal(map[string]any{
		"base": "regtest", "name": prefix, "chain_id": 0xBA7C, "timestamp": 1_780_000_000, "allocs": allocs,
	})
	if err != nil {
		tb.Fatal(err)
	}
	gs, err := consensus.ParseGenesisSpec(spec)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := consensus.CustomParams(gs)
	if err != nil {
		tb.Fatal(err)
	}
	return p, keys
}

// A JSON-RPC batch of sendrawtransaction calls (with bad signatures,
// duplicates, stale nonces, undecodable and mistyped params, and other
// calls between them) answers every call exactly as the same calls sent
// one by one to an identical node, and leaves the same mempool; the batch
// node verifies the runs' signatures in batches.
func TestSendRawTransactionBatchEqualsSingles(t *testing.T) {
	p, keys := fundedNetwork(t, "rpcbatch", 6)
	batchNode := newTestNode(t, nodeOptions{params: p})
	single := newTestNode(t, nodeOptions{params: p})
	to := keyAddr(testKey("rpcbatch-sink"))
	hexOf := func(k, nonce int, fee uint64) string {
		_, h := signedTransfer(t, p, keys[k], uint64(nonce), to, 1000, fee)
		return h
	}
	badSig := func(k, nonce int) string {
		tx, _ := signedTransfer(t, p, keys[k], uint64(nonce), to, 1000, p.MinTxFee)
		tx.Sig[33] ^= 1
		return hex.EncodeToString(tx.Encode())
	}
	dup := hexOf(2, 0, p.MinTxFee)
	send := func(param any) [2]any { return [2]any{"sendrawtransaction", []any{param}} }
	calls := [][2]any{
		send(hexOf(0, 0, p.MinTxFee)), send(hexOf(1, 0, p.MinTxFee)), send(badSig(3, 0)), send(dup), send(dup),
		send(hexOf(0, 1, p.MinTxFee)), send("zz"), send(42), send(hexOf(0, 0, p.MinTxFee)), send(badSig(4, 0)),
		{"getrawmempool", []any{}},
		send(hexOf(5, 0, p.MinTxFee)), send(hexOf(5, 0, p.MinTxFee*2)), send(hexOf(5, 3, p.MinTxFee)), send(badSig(3, 0)),
		{"getmempoolinfo", []any{}},
		send(hexOf(1, 1, p.MinTxFee)),
	}
	var objs []string
	for i, c := range calls {
		params, _ := json.Marshal(c[1])
		objs = append(objs, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, i, c[0], params))
	}
	status, body := batchNode.post(http.MethodPost, "["+strings.Join(objs, ",")+"]")
	if status != http.StatusOK {
		t.Fatalf("batch: HTTP %d %s", status, body)
	}
	var got []json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil || len(got) != len(calls) {
		t.Fatalf("batch answer %s (%v)", body, err)
	}
	for i, obj := range objs {
		status, want := single.post(http.MethodPost, obj)
		if status != http.StatusOK {
			t.Fatalf("single %d: HTTP %d", i, status)
		}
		if g, w := compactJSON(t, got[i]), compactJSON(t, want); g != w {
			t.Fatalf("call %d (%v): batch answered\n%s\none by one\n%s", i, calls[i][0], g, w)
		}
	}
	if a, b := batchNode.pool.TxIDs(), single.pool.TxIDs(); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("pools differ: %d vs %d txs", len(a), len(b))
	}
	if st := batchNode.pool.Stats(); st.SigBatches < 2 || st.SigBatched < 8 {
		t.Fatalf("batch node verified %d signatures in %d batches: the runs were not batched", st.SigBatched, st.SigBatches)
	}
	if st := single.pool.Stats(); st.SigBatches != 0 {
		t.Fatalf("single calls used %d batches", st.SigBatches)
	}
}

// BenchmarkSendRawTransactionBatchHTTP is BenchmarkSendRawTransactionHTTP
// with 100 sendrawtransaction calls per JSON-RPC batch request.
func BenchmarkSendRawTransactionBatchHTTP(b *testing.B) {
	const perBatch = 100
	p, keys := benchNetwork(b)
	n := newTestNode(b, nodeOptions{params: p, pool: benchPool()})
	txs := benchTxs(b, p, keys, b.N)
	parts := byClient(b.N)
	bodies := make([][]string, benchClients)
	for c, idx := range parts {
		for lo := 0; lo < len(idx); lo += perBatch {
			var objs []string
			for k, j := range idx[lo:min(lo+perBatch, len(idx))] {
				objs = append(objs, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"sendrawtransaction","params":[%q]}`,
					k, hex.EncodeToString(txs[j].Encode())))
			}
			bodies[c] = append(bodies[c], "["+strings.Join(objs, ",")+"]")
		}
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func(bodies []string) {
			defer wg.Done()
			for _, body := range bodies {
				req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, n.client.URL, strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				req.SetBasicAuth(n.client.User, n.client.Password)
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var out []struct {
					Error *Error `json:"error"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err != nil {
					b.Error(err)
					return
				}
				for _, o := range out {
					if o.Error != nil {
						b.Errorf("call refused: %v", o.Error)
						return
					}
				}
			}
		}(bodies[c])
	}
	wg.Wait()
	b.StopTimer()
	if got := n.pool.Count(); got != b.N {
		b.Fatalf("pool holds %d txs, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
