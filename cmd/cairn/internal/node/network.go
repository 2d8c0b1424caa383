package node

import (
	"context"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p"
	"github.com/cairn-chain/cairn/rpc"
)

// rpcNetwork adapts *p2p.Node to rpc.NetworkAPI (plain value conversions).
type rpcNetwork struct{ n *p2p.Node }

func (r rpcNetwork) Peers() []rpc.PeerInfo {
	ps := r.n.Peers()
	out := make([]rpc.PeerInfo, len(ps))
	for i, p := range ps {
		out[i] = rpc.PeerInfo(p)
	}
	return out
}

func (r rpcNetwork) ConnectionCount() int { return r.n.ConnectionCount() }
func (r rpcNetwork) Info() rpc.NetworkInfo {
	return rpc.NetworkInfo(r.n.Info())
}
func (r rpcNetwork) AddNode(ctx context.Context, a string) error { return r.n.AddNode(ctx, a) }
func (r rpcNetwork) DisconnectNode(id string) error              { return r.n.DisconnectNode(id) }
func (r rpcNetwork) Ban(id string, d time.Duration, reason string) error {
	return r.n.Ban(id, d, reason)
}
func (r rpcNetwork) Unban(id string) error { return r.n.Unban(id) }
func (r rpcNetwork) ClearBans()            { r.n.ClearBans() }
func (r rpcNetwork) Banned() []rpc.BanInfo {
	bs := r.n.Banned()
	out := make([]rpc.BanInfo, len(bs))
	for i, b := range bs {
		out[i] = rpc.BanInfo(b)
	}
	return out
}

// relayChain is the chain as RPC sees it: a block submitted over RPC
// (submitblock) is announced to peers like a mined one.
type relayChain struct {
	*chain.Chain
	announce func(*consensus.Block)
}

func (c relayChain) ProcessBlock(b *consensus.Block) (bool, bool, error) {
	main, orphan, err := c.Chain.ProcessBlock(b)
	if err == nil && !orphan {
		c.announce(b)
	}
	return main, orphan, err
}
