package testnet

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NodeStatus is one row of `cairn testnet status`.
type NodeStatus struct {
	Name        string  `json:"name"`
	Running     bool    `json:"running"`
	Mining      bool    `json:"mining"`
	PeerID      string  `json:"peer_id"`
	RPC         string  `json:"rpc_url"`
	P2P         string  `json:"p2p_addr"`
	Height      uint64  `json:"height"`
	Tip         string  `json:"tip"`
	Peers       int     `json:"peers"`
	MempoolSize int     `json:"mempool_size"`
	BlocksPerS  float64 `json:"blocks_per_second"`
	Error       string  `json:"error,omitempty"`
}

// Status collects every node's status from its RPC and metrics endpoints.
func (n *Network) Status(ctx context.Context) []NodeStatus {
	out := make([]NodeStatus, len(n.State.Nodes))
	for i, ns := range n.State.Nodes {
		st := NodeStatus{Name: ns.Name, Running: n.Running(i), Mining: ns.Mining, PeerID: ns.PeerID, RPC: n.RPCURL(i), P2P: n.P2PAddr(i)}
		if st.Running {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			var info struct {
				Height        uint64 `json:"height"`
				BestBlockHash string `json:"bestblockhash"`
			}
			if err := n.Call(cctx, i, "getblockchaininfo", []any{}, &info); err != nil {
				st.Error = err.Error()
			}
			st.Height, st.Tip = info.Height, info.BestBlockHash
			// Peers and mempool come from the node's Prometheus metrics, the
			// same figures a dashboard shows; RPC is the fallback.
			if m, err := n.Metrics(cctx, i); err == nil {
				st.Peers = int(m["cairn_peers"])
				st.MempoolSize = int(m["cairn_mempool_txs"])
			} else {
				_ = n.Call(cctx, i, "getconnectioncount", []any{}, &st.Peers)
				var mp []string
				_ = n.Call(cctx, i, "getrawmempool", []any{}, &mp)
				st.MempoolSize = len(mp)
			}
			st.BlocksPerS = n.blockRate(cctx, i, info.Height)
			cancel()
		}
		out[i] = st
	}
	return out
}

// blockRate is blocks per second over the last (up to) 20 blocks' timestamps.
func (n *Network) blockRate(ctx context.Context, i int, height uint64) float64 {
	if height == 0 {
		return 0
	}
	span := min(height, 20)
	ts := func(h uint64) (int64, bool) {
		var hash string
		if n.Call(ctx, i, "getblockhash", []any{h}, &hash) != nil {
			return 0, false
		}
		var hdr struct {
			Time int64 `json:"time"`
		}
		if n.Call(ctx, i, "getblockheader", []any{hash}, &hdr) != nil {
			return 0, false
		}
		return hdr.Time, true
	}
	t1, ok1 := ts(height)
	t0, ok0 := ts(height - span)
	if !ok0 || !ok1 || t1 <= t0 {
		return 0
	}
	return float64(span) / float64(t1-t0)
}

// Metrics fetches node i's Prometheus metrics as name{labels} -> value.
func (n *Network) Metrics(ctx context.Context, i int) (map[string]float64, error) {
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", n.State.Nodes[i].MetricsPort)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k := strings.LastIndexByte(line, ' ')
		if k < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[k+1:], 64); err == nil {
			out[line[:k]] = v
		}
	}
	return out, sc.Err()
}
