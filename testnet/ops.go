package testnet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-chain/cairn/rpc"
)

// Up starts every stopped node, sets up wallets on first start, connects
// the topology and waits until every node has its peers.
func (n *Network) Up(ctx context.Context) error {
	for i := range n.State.Nodes {
		if n.Running(i) {
			continue
		}
		if err := n.Start(ctx, i); err != nil {
			return err
		}
	}
	for i := range n.State.Nodes {
		if err := n.setupWallet(ctx, i); err != nil {
			return err
		}
	}
	return n.ConnectTopology(ctx)
}

// setupWallet creates node i's wallet and imports its funded key, once.
func (n *Network) setupWallet(ctx context.Context, i int) error {
	var addrs []map[string]any
	if err := n.Call(ctx, i, "listaddresses", []any{}, &addrs); err == nil && len(addrs) > 0 {
		return nil
	}
	pass, err := n.Passphrase()
	if err != nil {
		return err
	}
	if err := n.Call(ctx, i, "createwallet", []any{pass}, nil); err != nil && !isCode(err, -4) {
		return err
	}
	k := n.Keys[n.State.Nodes[i].WalletKey]
	return n.Call(ctx, i, "importprivkey", []any{k.Private, pass, "genesis"}, nil)
}

// ConnectTopology dials every edge and waits for the connections.
func (n *Network) ConnectTopology(ctx context.Context) error {
	for _, e := range n.State.Edges {
		if !n.Running(e[0]) || !n.Running(e[1]) {
			continue
		}
		if err := n.Connect(ctx, e[0], e[1]); err != nil {
			return err
		}
	}
	return nil
}

// Connect makes node a dial node b and waits until a counts b as a peer.
func (n *Network) Connect(ctx context.Context, a, b int) error {
	if err := n.Call(ctx, a, "addnode", []any{n.P2PAddr(b)}, nil); err != nil {
		return err
	}
	return n.waitFor(ctx, 30*time.Second, func() (bool, error) {
		ids, err := n.peerIDs(ctx, a)
		return slices.Contains(ids, n.State.Nodes[b].PeerID), err
	}, fmt.Sprintf("%s to connect to %s", n.State.Nodes[a].Name, n.State.Nodes[b].Name))
}

// Disconnect drops the connection between a and b (both directions).
func (n *Network) Disconnect(ctx context.Context, a, b int) error {
	_ = n.Call(ctx, a, "disconnectnode", []any{n.State.Nodes[b].PeerID}, nil)
	_ = n.Call(ctx, b, "disconnectnode", []any{n.State.Nodes[a].PeerID}, nil)
	return nil
}

func (n *Network) peerIDs(ctx context.Context, i int) ([]string, error) {
	var peers []struct {
		ID string `json:"id"`
	}
	if err := n.Call(ctx, i, "getpeerinfo", []any{}, &peers); err != nil {
		return nil, err
	}
	ids := make([]string, len(peers))
	for k, p := range peers {
		ids[k] = p.ID
	}
	return ids, nil
}

// Partition splits the network into groups: every node bans (setban) and
// disconnects every node outside its group, through RPC only.
func (n *Network) Partition(ctx context.Context, groups [][]int) error {
	group := map[int]int{}
	for g, members := range groups {
		for _, m := range members {
			group[m] = g
		}
	}
	for a := range n.State.Nodes {
		for b := range n.State.Nodes {
			ga, okA := group[a]
			gb, okB := group[b]
			if a == b || !okA || !okB || ga == gb || !n.Running(a) {
				continue
			}
			if err := n.Call(ctx, a, "setban", []any{n.State.Nodes[b].PeerID, "add", 24 * 3600}, nil); err != nil {
				return err
			}
		}
	}
	return n.waitFor(ctx, 30*time.Second, func() (bool, error) {
		for a := range n.State.Nodes {
			if !n.Running(a) {
				continue
			}
			ids, err := n.peerIDs(ctx, a)
			if err != nil {
				return false, err
			}
			for b := range n.State.Nodes {
				if group[a] != group[b] && slices.Contains(ids, n.State.Nodes[b].PeerID) {
					return false, nil
				}
			}
		}
		return true, nil
	}, "the partition to take effect")
}

// Heal lifts every ban and reconnects the topology.
func (n *Network) Heal(ctx context.Context) error {
	for i := range n.State.Nodes {
		if n.Running(i) {
			if err := n.Call(ctx, i, "clearbanned", []any{}, nil); err != nil {
				return err
			}
		}
	}
	return n.ConnectTopology(ctx)
}

// WaitForTips waits until the given nodes (all running ones if nil) report
// the same best block, and returns it.
func (n *Network) WaitForTips(ctx context.Context, nodes []int, timeout time.Duration) (string, error) {
	nodes = n.running(nodes)
	var tip string
	err := n.waitFor(ctx, timeout, func() (bool, error) {
		seen := map[string]bool{}
		for _, i := range nodes {
			var h string
			if err := n.Call(ctx, i, "getbestblockhash", []any{}, &h); err != nil {
				return false, err
			}
			seen[h] = true
			tip = h
		}
		return len(seen) == 1, nil
	}, "tips to agree")
	return tip, err
}

// WaitForMempools waits until the nodes' mempools hold the same tx ids.
func (n *Network) WaitForMempools(ctx context.Context, nodes []int, timeout time.Duration) error {
	nodes = n.running(nodes)
	return n.waitFor(ctx, timeout, func() (bool, error) {
		var first []string
		for k, i := range nodes {
			var ids []string
			if err := n.Call(ctx, i, "getrawmempool", []any{}, &ids); err != nil {
				return false, err
			}
			slices.Sort(ids)
			if k == 0 {
				first = ids
			} else if !slices.Equal(first, ids) {
				return false, nil
			}
		}
		return true, nil
	}, "mempools to match")
}

// WaitForHeight waits until node i's tip reaches height h.
func (n *Network) WaitForHeight(ctx context.Context, i int, h uint64, timeout time.Duration) error {
	return n.waitFor(ctx, timeout, func() (bool, error) {
		var got uint64
		err := n.Call(ctx, i, "getblockcount", []any{}, &got)
		return got >= h, err
	}, fmt.Sprintf("%s to reach height %d", n.State.Nodes[i].Name, h))
}

func (n *Network) running(nodes []int) []int {
	if nodes == nil {
		for i := range n.State.Nodes {
			if n.Running(i) {
				nodes = append(nodes, i)
			}
		}
	}
	return nodes
}

// waitFor polls cond every 200ms; transient RPC errors are retried until
// the timeout, then reported.
func (n *Network) waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error), what string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("timed out after %s waiting for %s: %w", timeout, what, lastErr)
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func isCode(err error, code int) bool {
	var re *rpc.Error
	return errors.As(err, &re) && re.Code == code
}
