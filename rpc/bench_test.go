package rpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
)

const (
	benchSenders = 2000
	benchClients = 8
)

// benchNetwork is a regtest-based network whose genesis funds benchSenders
// accounts, so b.N transfers need no mining first.
func benchNetwork(b *testing.B) (*consensus.Params, []*btcec.PrivateKey) {
	b.Helper()
	keys := make([]*btcec.PrivateKey, benchSenders)
	type alloc struct {
		Address string `json:"address"`
		Amount  uint64 `json:"amount"`
	}
	allocs := make([]alloc, benchSenders)
	hrp := consensus.RegtestParams().AddressHRP
	for i := range keys {
		keys[i] = testKey(fmt.Sprintf("bench-%d", i))
		allocs[i] = alloc{Address: keyAddr(keys[i]).Encode(hrp), Amount: 1000 * consensus.Coin}
	}
	spec, err := json.Marshal(map[string]any{
		"base": "regtest", "name": "bench", "chain_id": 0xBE7C, "timestamp": 1_780_000_000, "allocs": allocs,
	})
	if err != nil {
		b.Fatal(err)
	}
	gs, err := consensus.ParseGenesisSpec(spec)
	if err != nil {
		b.Fatal(err)
	}
	p, err := consensus.CustomParams(gs)
	if err != nil {
		b.Fatal(err)
	}
	return p, keys
}

// benchTxs signs n transfers: tx j is sender j%benchSenders's nonce
// j/benchSenders. Signing runs on every core, outside the timer.
func benchTxs(b *testing.B, p *consensus.Params, keys []*btcec.PrivateKey, n int) []*consensus.Tx {
	b.Helper()
	to := keyAddr(testKey("bench-sink"))
	txs := make([]*consensus.Tx, n)
	var wg sync.WaitGroup
	const workers = 4
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for j := w; j < n; j += workers {
				tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, Nonce: uint64(j / benchSenders),
					To: to, Amount: 1, Fee: p.MinTxFee}
				if err := tx.Sign(keys[j%benchSenders]); err != nil {
					b.Error(err)
					return
				}
				txs[j] = tx
			}
		}(w)
	}
	wg.Wait()
	return txs
}

// byClient splits txs so each sender's txs go through one client in nonce
// order: the pool would queue (or refuse) a nonce that overtakes its
// predecessor.
func byClient(n int) [][]int {
	out := make([][]int, benchClients)
	for j := 0; j < n; j++ {
		c := (j % benchSenders) % benchClients
		out[c] = append(out[c], j)
	}
	return out
}

func benchPool() mempool.Config { return mempool.Config{MaxPerSender: 1 << 12, MaxNonceGap: 1 << 12} }

func BenchmarkSendRawTransactionHTTP(b *testing.B) {
	p, keys := benchNetwork(b)
	n := newTestNode(b, nodeOptions{params: p, pool: benchPool()})
	txs := benchTxs(b, p, keys, b.N)
	hexes := make([]string, len(txs))
	for i, tx := range txs {
		hexes[i] = hex.EncodeToString(tx.Encode())
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	parts := byClient(b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func(idx []int) {
			defer wg.Done()
			cl := &Client{URL: n.client.URL, User: n.client.User, Password: n.client.Password, HTTP: hc}
			for _, j := range idx {
				var id string
				if err := cl.Call(context.Background(), "sendrawtransaction", []any{hexes[j]}, &id); err != nil {
					b.Errorf("tx %d: %v", j, err)
					return
				}
			}
		}(parts[c])
	}
	wg.Wait()
	b.StopTimer()
	if got := n.pool.Count(); got != b.N {
		b.Fatalf("pool holds %d txs, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

func BenchmarkMempoolAddInProcess(b *testing.B) {
	p, keys := benchNetwork(b)
	n := newTestNode(b, nodeOptions{params: p, pool: benchPool()})
	txs := benchTxs(b, p, keys, b.N)
	parts := byClient(b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func(idx []int) {
			defer wg.Done()
			for _, j := range idx {
				if _, err := n.pool.Add(txs[j]); err != nil {
					b.Errorf("tx %d: %v", j, err)
					return
				}
			}
		}(parts[c])
	}
	wg.Wait()
	b.StopTimer()
	if got := n.pool.Count(); got != b.N {
		b.Fatalf("pool holds %d txs, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
