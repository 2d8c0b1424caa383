package dashboard

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/cairn-chain/cairn/rpc"
	"github.com/cairn-chain/cairn/testnet"
)

// Bounds on what the dashboard remembers.
const (
	keepBlocks   = 24               // propagation rows
	keepSeconds  = 180              // tx/s chart width
	keepTxs      = 200_000          // first-seen stamps of unconfirmed txs
	txSeenMaxAge = 10 * time.Minute // a tx never confirmed is forgotten
)

// blockRow is one block's arrival at each node, from their notifications.
type blockRow struct {
	Hash   string          `json:"hash"`
	Height uint64          `json:"height"`
	NTx    int             `json:"ntx"`
	First  time.Time       `json:"first"`
	Origin int             `json:"origin"` // node that had it first (the miner)
	At     map[int]float64 `json:"at"`     // node -> ms after First
	// Latency of its txs from first mempool sight anywhere to First, ms.
	LatP50 float64 `json:"lat_p50_ms"`
	LatMax float64 `json:"lat_max_ms"`
	Conf   int     `json:"confirmed"` // txs with a first-seen stamp
}

// second is one bucket of the tx/s chart.
type second struct {
	T         int64 `json:"t"` // unix seconds
	Submitted int   `json:"submitted"`
	Confirmed int   `json:"confirmed"`
}

// watch follows node i's newtips and mempool topics until ctx ends,
// reconnecting every second while the node is down.
func (s *Server) watch(ctx context.Context, n *testnet.Network, i int) {
	n.Watch(ctx, i, time.Second, []string{rpc.TopicNewTips, rpc.TopicMempool}, nil, func(topic string, result json.RawMessage, at time.Time) {
		switch topic {
		case rpc.TopicNewTips:
			if tip, ok := testnet.DecodeTip(result); ok && tip.Event == "connected" {
				s.blockSeen(ctx, n, i, tip.Hash, tip.Height, tip.NTx, at)
			}
		case rpc.TopicMempool:
			var tx struct {
				TxID string `json:"txid"`
			}
			if json.Unmarshal(result, &tx) == nil {
				s.txSeen(tx.TxID, at)
			}
		}
	})
}

func (s *Server) txSeen(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.txFirst[id]; ok || len(s.txFirst) >= keepTxs {
		return
	}
	s.txFirst[id] = at
	s.bucket(at).Submitted++
}

// bucket returns the tx/s bucket of at's second (caller holds mu).
func (s *Server) bucket(at time.Time) *second {
	t := at.Unix()
	for k := len(s.seconds) - 1; k >= 0 && k >= len(s.seconds)-5; k-- {
		if s.seconds[k].T == t {
			return &s.seconds[k]
		}
	}
	s.seconds = append(s.seconds, second{T: t})
	slices.SortFunc(s.seconds, func(a, b second) int { return int(a.T - b.T) })
	if len(s.seconds) > keepSeconds {
		s.seconds = s.seconds[len(s.seconds)-keepSeconds:]
	}
	for k := range s.seconds {
		if s.seconds[k].T == t {
			return &s.seconds[k]
		}
	}
	return &second{} // unreachable: just appended
}

// blockSeen records node i connecting a block; the first node to report
// it starts its row and fetches its txs for the latency chart.
func (s *Server) blockSeen(ctx context.Context, n *testnet.Network, i int, hash string, height uint64, ntx int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.blocks {
		if b.Hash == hash {
			if _, ok := b.At[i]; !ok {
				b.At[i] = float64(at.Sub(b.First).Microseconds()) / 1000
			}
			return
		}
	}
	b := &blockRow{Hash: hash, Height: height, NTx: ntx, First: at, Origin: i, At: map[int]float64{i: 0}}
	s.blocks = append(s.blocks, b)
	if len(s.blocks) > keepBlocks {
		s.blocks = s.blocks[len(s.blocks)-keepBlocks:]
	}
	if ntx > 1 {
		go s.confirm(ctx, n, i, b)
	}
}

// confirm reads the block's txs and turns their first-seen stamps into
// confirmation latencies.
func (s *Server) confirm(ctx context.Context, n *testnet.Network, i int, b *blockRow) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var blk struct {
		Tx []string `json:"tx"`
	}
	if err := n.Call(cctx, i, "getblock", []any{b.Hash, 1}, &blk); err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var lat []float64
	for _, id := range blk.Tx {
		if t, ok := s.txFirst[id]; ok {
			lat = append(lat, float64(b.First.Sub(t).Milliseconds()))
			delete(s.txFirst, id)
		}
	}
	for id, t := range s.txFirst {
		if b.First.Sub(t) > txSeenMaxAge {
			delete(s.txFirst, id)
		}
	}
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.Conf, b.LatP50, b.LatMax = len(lat), lat[len(lat)/2], lat[len(lat)-1]
	s.bucket(b.First).Confirmed += len(lat)
}
