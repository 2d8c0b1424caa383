package testnet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/rpc"
)

// LoadOptions bound a load run in rate, count and time.
type LoadOptions struct {
	TPS            float64       // submissions per second
	Duration       time.Duration // how long to submit
	ConfirmTimeout time.Duration // how long to wait for the last confirmations (default 6 block times)
	Amount         uint64        // base units per payment (default 1000)
	Workers        int           // concurrent submitters (default 8)
	// Progress, if set, is called about once a second while the load runs
	// (and while it waits for the last confirmations).
	Progress func(LoadProgress)
}

// LoadProgress is the running count of a load.
type LoadProgress struct {
	Elapsed                               time.Duration
	Total, Submitted, Rejected, Confirmed int
	Blocks                                int
}

// LoadReport is what `cairn testnet load` prints.
type LoadReport struct {
	Submitted     int            `json:"submitted"`
	Confirmed     int            `json:"confirmed"`
	Rejected      int            `json:"rejected"`
	RejectReasons map[string]int `json:"reject_reasons,omitempty"`
	Unconfirmed   int            `json:"unconfirmed"`
	LatencyP50    time.Duration  `json:"latency_p50"`
	LatencyP99    time.Duration  `json:"latency_p99"`
	Blocks        int            `json:"blocks"`
	AvgBlockTxs   float64        `json:"avg_block_txs"`
	AvgBlockFill  float64        `json:"avg_block_fill"` // share of MaxBlockTxs
	Elapsed       time.Duration  `json:"elapsed"`
	ConfirmedTPS  float64        `json:"confirmed_tps"`
}

type loadAccount struct {
	mu    sync.Mutex
	key   *btcec.PrivateKey
	addr  consensus.Address
	nonce uint64
	dead  bool // a rejection left its nonce unknown; stop using it
}

// Load sends signed payments between the funded load accounts through every
// running node in turn, and measures how fast and how many confirm.
func (n *Network) Load(ctx context.Context, o LoadOptions) (*LoadReport, error) {
	if o.TPS <= 0 || o.TPS > 10000 {
		return nil, fmt.Errorf("--tps must be in (0, 10000]")
	}
	if o.Duration <= 0 || o.Duration > time.Hour {
		return nil, fmt.Errorf("--duration must be in (0, 1h]")
	}
	if o.ConfirmTimeout == 0 {
		o.ConfirmTimeout = 6 * n.State.BlockTime
	}
	if o.Amount == 0 {
		o.Amount = 1000
	}
	if o.Workers == 0 {
		o.Workers = 8
	}
	nodes := n.running(nil)
	if len(nodes) == 0 {
		return nil, fmt.Errorf("no node is running: `cairn testnet up` first")
	}
	accts, err := n.loadAccounts(ctx, nodes[0])
	if err != nil {
		return nil, err
	}
	var startHeight uint64
	if err := n.Call(ctx, nodes[0], "getblockcount", []any{}, &startHeight); err != nil {
		return nil, err
	}

	rep := &LoadReport{RejectReasons: map[string]int{}}
	var mu sync.Mutex
	submitted := map[consensus.Hash]time.Time{}
	confirmedAt := map[consensus.Hash]time.Time{}
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		n.watchBlocks(watchCtx, nodes[0], startHeight, func(ids []string, when time.Time) {
			mu.Lock()
			defer mu.Unlock()
			rep.Blocks++
			rep.AvgBlockTxs += float64(len(ids) - 1)
			for _, s := range ids {
				h, err := consensus.ParseHash(s)
				if err == nil {
					if _, ok := submitted[h]; ok {
						confirmedAt[h] = when
					}
				}
			}
		})
	}()

	total := int(o.TPS * o.Duration.Seconds())
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
			for k := range jobs {
				a := accts[k%len(accts)]
				to := accts[r.IntN(len(accts))].addr
				node := nodes[k%len(nodes)]
				id, reason := n.pay(ctx, node, a, to, o.Amount)
				mu.Lock()
				if reason != "" {
					rep.Rejected++
					rep.RejectReasons[reason]++
				} else {
					rep.Submitted++
					submitted[id] = time.Now()
				}
				mu.Unlock()
			}
		}()
	}
	progress, stopProgress := func() {}, func() {}
	if o.Progress != nil {
		progress = func() {
			mu.Lock()
			p := LoadProgress{Elapsed: time.Since(start), Total: total, Submitted: rep.Submitted, Rejected: rep.Rejected,
				Confirmed: len(confirmedAt), Blocks: rep.Blocks}
			mu.Unlock()
			o.Progress(p)
		}
		tickerDone, quit := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(tickerDone)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-quit:
					return
				case <-t.C:
					progress()
				}
			}
		}()
		stopProgress = func() { close(quit); <-tickerDone }
	}
	interval := time.Duration(float64(time.Second) / o.TPS)
	next := time.Now()
	for k := 0; k < total && ctx.Err() == nil; k++ {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		jobs <- k
	}
	close(jobs)
	wg.Wait()

	// Wait for the stragglers, bounded.
	deadline := time.Now().Add(o.ConfirmTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		mu.Lock()
		done := len(confirmedAt) >= len(submitted)
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopWatch()
	<-watchDone
	stopProgress()
	progress() // the final count

	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for id, t := range confirmedAt {
		lat = append(lat, t.Sub(submitted[id]))
	}
	slices.Sort(lat)
	rep.Confirmed = len(lat)
	rep.Unconfirmed = rep.Submitted - rep.Confirmed
	if len(lat) > 0 {
		rep.LatencyP50 = lat[len(lat)/2]
		rep.LatencyP99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	rep.Elapsed = time.Since(start)
	rep.ConfirmedTPS = float64(rep.Confirmed) / rep.Elapsed.Seconds()
	if rep.Blocks > 0 {
		rep.AvgBlockTxs /= float64(rep.Blocks)
		rep.AvgBlockFill = rep.AvgBlockTxs / float64(n.Params.MaxBlockTxs-1)
	}
	return rep, nil
}

// loadAccounts prepares the funded non-wallet keys with their current nonces.
func (n *Network) loadAccounts(ctx context.Context, node int) ([]*loadAccount, error) {
	var out []*loadAccount
	for _, k := range n.Keys[len(n.State.Nodes):] {
		priv, err := ParseKey(k)
		if err != nil {
			return nil, err
		}
		addr, err := consensus.DecodeAddress(k.Address, n.Params.AddressHRP)
		if err != nil {
			return nil, err
		}
		var acct struct {
			Nonce uint64 `json:"nonce"`
		}
		if err := n.Call(ctx, node, "getaccount", []any{k.Address}, &acct); err != nil {
			return nil, err
		}
		out = append(out, &loadAccount{key: priv, addr: addr, nonce: acct.Nonce})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("this testnet has no load accounts")
	}
	return out, nil
}

// pay signs and submits one payment; it returns the txid or a reject reason.
func (n *Network) pay(ctx context.Context, node int, a *loadAccount, to consensus.Address, amount uint64) (consensus.Hash, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dead {
		return consensus.Hash{}, "account retired after a rejection"
	}
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: n.Params.ChainID, Nonce: a.nonce, To: to, Amount: amount, Fee: n.Params.MinTxFee}
	if err := tx.Sign(a.key); err != nil {
		return consensus.Hash{}, err.Error()
	}
	var id string
	if err := n.Call(ctx, node, "sendrawtransaction", []any{hex.EncodeToString(tx.Encode())}, &id); err != nil {
		// A JSON-RPC error is a definite refusal: the nonce is still free.
		// Anything else (timeout, node killed) leaves it unknown.
		var re *rpc.Error
		if !errors.As(err, &re) {
			a.dead = true
		}
		return consensus.Hash{}, shortReason(err)
	}
	a.nonce++
	return tx.ID(), ""
}

func shortReason(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// watchBlocks reports the tx ids of each new main-chain block as it appears.
func (n *Network) watchBlocks(ctx context.Context, node int, from uint64, seen func(ids []string, when time.Time)) {
	h := from
	for ctx.Err() == nil {
		var count uint64
		if err := n.Call(ctx, node, "getblockcount", []any{}, &count); err == nil {
			for ; h < count; h++ {
				var hash string
				if err := n.Call(ctx, node, "getblockhash", []any{h + 1}, &hash); err != nil {
					break
				}
				var blk struct {
					Tx []string `json:"tx"`
				}
				if err := n.Call(ctx, node, "getblock", []any{hash, 1}, &blk); err != nil {
					break
				}
				seen(blk.Tx, time.Now())
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
