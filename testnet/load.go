package testnet

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/rpc"
)

// LoadOptions bound a load run in rate, count and time.
type LoadOptions struct {
	TPS            float64       // submissions per second
	Duration       time.Duration // how long to submit
	ConfirmTimeout time.Duration // how long to wait for the last confirmations (default 6 block times)
	Amount         uint64        // base units per payment (default 1000)
	// Progress, if set, is called about once a second while the load runs
	// (and while it waits for the last confirmations).
	Progress func(LoadProgress)
}

// MaxLoadPayments bounds one run (--tps x --duration): every payment is
// signed before the clock starts and held in memory (~200 bytes each).
const MaxLoadPayments = 600_000

// maxLoadBatch is how many payments one JSON-RPC batch carries at most.
const maxLoadBatch = 500

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
	// NotSent were still held back when the run ended: their account had
	// maxInflight unconfirmed payments, or the pool said it was busy.
	NotSent      int           `json:"not_sent"`
	LatencyP50   time.Duration `json:"latency_p50"`
	LatencyP99   time.Duration `json:"latency_p99"`
	Blocks       int           `json:"blocks"`
	AvgBlockTxs  float64       `json:"avg_block_txs"`
	AvgBlockFill float64       `json:"avg_block_fill"` // share of MaxBlockTxs
	Elapsed      time.Duration `json:"elapsed"`
	ConfirmedTPS float64       `json:"confirmed_tps"`
	// WindowTPS counts only confirmations seen while payments were being
	// sent (over --duration): the rate the network kept up with, without
	// the drain at the end that ConfirmedTPS includes.
	WindowTPS float64 `json:"window_tps"`
	// SustainedTPS is the rate blocks carried the load: payments confirmed
	// after the first block that confirmed any, over the time from that
	// block to the last one (the wait for the first block and the drain
	// do not count; the first block's own payments are left out too, as
	// they queued before the span began).
	SustainedTPS float64       `json:"sustained_tps"`
	SignTime     time.Duration `json:"sign_time"` // signing every payment, before the clock started
}

type loadAccount struct {
	key   *btcec.PrivateKey
	addr  consensus.Address
	nonce uint64
	dead  atomic.Bool // a refusal left later nonces unusable; skip its payments
	// inflight counts accepted payments not yet seen in a block.
	inflight atomic.Int64
}

// payment is one signed transfer and the node it goes to. An account's
// payments all go to one node, in nonce order, so none arrives gapped.
type payment struct {
	acct, node int
	hex        string
	id         consensus.Hash
}

// Load sends signed payments between the funded load accounts through every
// running node, and measures how fast and how many confirm. Payments are
// signed before the clock starts, so the generator does not compete with
// the nodes for the CPU while it measures them, and each node gets them in
// JSON-RPC batches of what fell due since the last one (one sender per
// node, so an account's nonces arrive in order).
func (n *Network) Load(ctx context.Context, o LoadOptions) (*LoadReport, error) {
	if o.TPS <= 0 || o.TPS > 10000 {
		return nil, fmt.Errorf("--tps must be in (0, 10000]")
	}
	if o.Duration <= 0 || o.Duration > time.Hour {
		return nil, fmt.Errorf("--duration must be in (0, 1h]")
	}
	total := int(o.TPS * o.Duration.Seconds())
	if total > MaxLoadPayments {
		return nil, fmt.Errorf("--tps x --duration is %d payments; one run sends at most %d (they are signed up front)", total, MaxLoadPayments)
	}
	if o.ConfirmTimeout == 0 {
		o.ConfirmTimeout = 6 * n.State.BlockTime
	}
	if o.Amount == 0 {
		o.Amount = 1000
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
	clients := make([]*rpc.Client, len(nodes))
	for i, node := range nodes {
		if clients[i], err = n.Client(node); err != nil {
			return nil, err
		}
	}
	signStart := time.Now()
	pays, err := signPayments(ctx, n.Params.ChainID, n.Params.MinTxFee, accts, len(nodes), total, o.Amount)
	if err != nil {
		return nil, err
	}
	rep := &LoadReport{RejectReasons: map[string]int{}, SignTime: time.Since(signStart)}

	var mu sync.Mutex
	submitted := map[consensus.Hash]time.Time{}
	confirmedAt := map[consensus.Hash]time.Time{}
	owner := map[consensus.Hash]int{} // payment -> account, to count its confirmation
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
						if _, again := confirmedAt[h]; !again {
							accts[owner[h]].inflight.Add(-1)
						}
						confirmedAt[h] = when
					}
				}
			}
		})
	}()

	start := time.Now()
	record := func(p *payment, reason string, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if reason != "" {
			rep.Rejected++
			rep.RejectReasons[reason]++
			return
		}
		rep.Submitted++
		submitted[p.id] = at
		owner[p.id] = p.acct
		accts[p.acct].inflight.Add(1)
	}
	notSent := func(k int) {
		mu.Lock()
		rep.NotSent += k
		mu.Unlock()
	}
	queues := make([]*payQueue, len(nodes))
	var wg sync.WaitGroup
	for i := range nodes {
		queues[i] = newPayQueue()
		wg.Go(func() { sendLoop(ctx, clients[i], queues[i], pays, accts, record, notSent) })
	}
	stopProgress := startLoadProgress(o.Progress, func() LoadProgress {
		mu.Lock()
		defer mu.Unlock()
		return LoadProgress{Elapsed: time.Since(start), Total: total, Submitted: rep.Submitted, Rejected: rep.Rejected,
			Confirmed: len(confirmedAt), Blocks: rep.Blocks}
	})
	// Release what fell due every few milliseconds: the rate holds on
	// average, and each node's sender batches whatever accumulated.
	tick := time.NewTicker(5 * time.Millisecond)
	for next := 0; next < total && ctx.Err() == nil; {
		due := min(total, int(time.Since(start).Seconds()*o.TPS)+1)
		for ; next < due; next++ {
			queues[pays[next].node].push(next)
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	tick.Stop()
	for _, q := range queues {
		q.close()
	}
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
	windowEnd := start.Add(o.Duration)
	inWindow := 0
	for _, t := range confirmedAt {
		if !t.After(windowEnd) {
			inWindow++
		}
	}
	rep.WindowTPS = float64(inWindow) / o.Duration.Seconds()
	var first, last time.Time
	for _, t := range confirmedAt {
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	if span := last.Sub(first).Seconds(); span > 0 {
		after := 0
		for _, t := range confirmedAt {
			if t.After(first) {
				after++
			}
		}
		rep.SustainedTPS = float64(after) / span
	}
	if rep.Blocks > 0 {
		rep.AvgBlockTxs /= float64(rep.Blocks)
		rep.AvgBlockFill = rep.AvgBlockTxs / float64(n.Params.MaxBlockTxs-1)
	}
	return rep, nil
}

// startLoadProgress calls report with snap() about once a second until the
// returned stop is called (which reports once more, the final count).
func startLoadProgress(report func(LoadProgress), snap func() LoadProgress) (stop func()) {
	if report == nil {
		return func() {}
	}
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				report(snap())
			}
		}
	}()
	return func() { close(quit); <-done; report(snap()) }
}

// signPayments signs total payments on all cores: payment k is from
// account k mod len(accts) (consecutive nonces), to a random account, sent
// through node acct mod nodes.
func signPayments(ctx context.Context, chainID uint32, fee uint64, accts []*loadAccount, nodes, total int, amount uint64) ([]payment, error) {
	pays := make([]payment, total)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for a := w; a < len(accts) && a < total; a += workers {
				acct := accts[a]
				var pub [32]byte
				copy(pub[:], schnorr.SerializePubKey(acct.key.PubKey()))
				nonce := acct.nonce
				for k := a; k < total; k += len(accts) {
					if ctx.Err() != nil {
						errs[w] = ctx.Err()
						return
					}
					tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: chainID, Nonce: nonce, To: accts[r.IntN(len(accts))].addr,
						Amount: amount, Fee: fee, PubKey: pub}
					h := tx.SigHash()
					// FastSign skips btcec's verify-after-sign: these keys
					// are throwaway test keys and the node verifies anyway.
					sig, err := schnorr.Sign(acct.key, h[:], schnorr.FastSign())
					if err != nil {
						errs[w] = fmt.Errorf("sign payment: %w", err)
						return
					}
					copy(tx.Sig[:], sig.Serialize())
					pays[k] = payment{acct: a, node: a % nodes, hex: hex.EncodeToString(tx.Encode()), id: tx.ID()}
					nonce++
				}
			}
		})
	}
	wg.Wait()
	return pays, errors.Join(errs...)
}

// payQueue is one node's FIFO of payment indexes.
type payQueue struct {
	mu     sync.Mutex
	items  []int
	closed bool
	wake   chan struct{}
}

func newPayQueue() *payQueue { return &payQueue{wake: make(chan struct{}, 1)} }

func (q *payQueue) push(k int) {
	q.mu.Lock()
	q.items = append(q.items, k)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *payQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// drain returns up to max queued items and whether the queue is closed.
func (q *payQueue) drain(max int) (items []int, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(max, len(q.items))
	items = append(items, q.items[:k]...)
	q.items = q.items[k:]
	return items, q.closed && len(q.items) == 0
}

// Refusals that say "not now" rather than "never": the pool is full or the
// sender has as many txs waiting as the pool allows one sender. The load
// backs off and resends them (and the account's later nonces) instead of
// giving the account up, as a wallet would.
var busyCodes = map[string]bool{"ErrSenderLimit": true, "ErrPoolFull": true, "ErrQueueFull": true, "ErrNonceTooHigh": true}

const (
	retryDelay = 250 * time.Millisecond
	// retryGrace is how long held payments may still go after the last
	// one fell due.
	retryGrace = 10 * time.Second
	// maxInflight is how many unconfirmed payments one account may have,
	// counted from the first node's chain. Well below the pool's
	// per-sender limit (64): a node a block or two behind the first one
	// still holds the account's payments those blocks confirmed, and after
	// a reorg it holds the orphaned block's again; a payment it refused
	// then would leave a nonce gap its peers never fill. Like a wallet,
	// the load waits for confirmations rather than push past what every
	// node keeps.
	maxInflight = 24
)

// sendLoop sends a node's due payments as JSON-RPC batches until its queue
// closes and nothing is held. A payment is held (with its account's later
// ones, so nonces still arrive in order) while its account has maxInflight
// unconfirmed payments or after a busy refusal, and goes again after
// retryDelay. A definite refusal retires the account (its later nonces could
// never confirm); a failed batch (node gone) retires every account in it,
// since what the node kept is unknown.
func sendLoop(ctx context.Context, c *rpc.Client, q *payQueue, pays []payment, accts []*loadAccount, record func(*payment, string, time.Time), notSent func(int)) {
	const retired = "account retired after a rejection"
	var (
		held     []int     // payments waiting for retryAt, in order
		retryAt  time.Time // when held payments may go again
		giveUpAt time.Time // set when the queue closed
	)
	for ctx.Err() == nil {
		var cands []int
		blocked := map[int]bool{} // accounts with an earlier payment held
		if !time.Now().Before(retryAt) {
			cands, held = held, nil
		} else {
			for _, k := range held {
				blocked[pays[k].acct] = true
			}
		}
		fresh, closed := q.drain(maxLoadBatch)
		cands = append(cands, fresh...)
		var batch []int
		perAcct := map[int]int64{}
		for _, k := range cands {
			p := &pays[k]
			a := p.acct
			switch {
			case accts[a].dead.Load():
				record(p, retired, time.Time{})
			case blocked[a] || len(batch) >= maxLoadBatch || accts[a].inflight.Load()+perAcct[a] >= maxInflight:
				blocked[a] = true
				held = append(held, k)
			default:
				batch = append(batch, k)
				perAcct[a]++
			}
		}
		if len(held) > 0 && !retryAt.After(time.Now()) {
			retryAt = time.Now().Add(retryDelay)
		}
		if closed && giveUpAt.IsZero() {
			giveUpAt = time.Now().Add(retryGrace)
		}
		if len(batch) == 0 {
			if closed && (len(held) == 0 || time.Now().After(giveUpAt)) {
				notSent(len(held))
				return
			}
			t := time.NewTimer(max(time.Until(retryAt), time.Millisecond))
			if len(held) == 0 {
				t.Reset(time.Second)
			}
			select {
			case <-q.wake:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			continue
		}
		params := make([]any, len(batch))
		for i, k := range batch {
			params[i] = []any{pays[k].hex}
		}
		sent := time.Now()
		res, err := c.CallBatch(ctx, "sendrawtransaction", params)
		refused := map[int]bool{} // accounts with a busy refusal in this batch
		for i, k := range batch {
			p := &pays[k]
			switch {
			case err != nil:
				accts[p.acct].dead.Store(true)
				record(p, shortReason(err), time.Time{})
			case res[i].Err != nil:
				if busyCodes[rejectCode(res[i].Err)] || refused[p.acct] {
					refused[p.acct] = true
					held = append(held, k)
					retryAt = time.Now().Add(retryDelay)
				} else if accts[p.acct].dead.Swap(true) {
					record(p, retired, time.Time{})
				} else {
					record(p, shortReason(res[i].Err), time.Time{})
				}
			case accts[p.acct].dead.Load():
				// Accepted after an earlier nonce of its account was
				// refused: it waits gapped in the pool and never confirms.
				record(p, "accepted behind a refused nonce", time.Time{})
			default:
				record(p, "", sent)
			}
		}
		if len(refused) > 0 {
			// Keep each account's payments in nonce order: what was held
			// before this batch goes after the refused ones' retry.
			slices.SortStableFunc(held, func(x, y int) int { return x - y })
		}
	}
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
			Nonce uint64 `json:"next_nonce"` // an earlier run's payments may still be pending
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

// rejectCode is the pool or consensus code name of a refusal ("" if none).
func rejectCode(err error) string {
	var re *rpc.Error
	if !errors.As(err, &re) || len(re.Data) == 0 {
		return ""
	}
	var d rpc.RejectData
	if json.Unmarshal(re.Data, &d) != nil {
		return ""
	}
	return d.Code
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
