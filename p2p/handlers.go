package p2p

import (
	"runtime/debug"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// registerHandlers installs the stream protocols.
func (n *Node) registerHandlers() {
	n.handle(wire.StatusProtocol, n.handleStatus)
	n.handle(wire.HeadersProtocol, n.handleHeaders)
	n.handle(wire.BlocksProtocol, n.handleBlocks)
	n.handle(wire.TxsProtocol, n.handleTxs)
	n.handle(wire.TxInvProtocol, n.handleTxInv)
}

// handle wraps a stream handler: it is tracked for Close, recovers from
// panics, penalises protocol violations and always closes or resets the
// stream.
func (n *Node) handle(proto string, fn func(network.Stream) error) {
	n.host.SetStreamHandler(protocol.ID(proto), func(s network.Stream) {
		if !n.enter() {
			_ = s.Reset()
			return
		}
		defer n.leave()
		p := s.Conn().RemotePeer()
		defer func() {
			if r := recover(); r != nil {
				n.log.Error("recovered panic in stream handler", "protocol", proto, "peer", p, "panic", r, "stack", string(debug.Stack()))
				_ = s.Reset()
			}
		}()
		if err := fn(s); err != nil {
			_ = s.Reset()
			n.judge(p, peers.KindMessage, err, proto)
			n.log.Debug("stream handler failed", "protocol", proto, "peer", p, "err", err)
			return
		}
		_ = s.Close()
	})
}

// handleHeaders serves up to wire.MaxHeadersPerRequest main-chain headers after
// the requester's locator.
func (n *Node) handleHeaders(s network.Stream) error {
	b, err := wire.ReadFrame(s, wire.MaxHeadersReqSize, n.deadline())
	if err != nil {
		return err
	}
	req, err := wire.DecodeHeadersReq(b)
	if err != nil {
		return err
	}
	max := int(req.Max)
	if max <= 0 || max > wire.MaxHeadersPerRequest {
		max = wire.MaxHeadersPerRequest
	}
	return wire.WriteFrame(s, wire.EncodeHeaders(n.chain.HeadersAfter(req.Locator, max)), n.deadline())
}

// maxBlockFrame bounds one block in a sync response.
func (n *Node) maxBlockFrame() int { return min(n.params.MaxBlockSize, consensus.MaxBlockSizeLimit) }

// handleBlocks serves stored blocks: one frame per requested hash, empty
// when we do not have it.
func (n *Node) handleBlocks(s network.Stream) error {
	b, err := wire.ReadFrame(s, wire.MaxBlocksReqSize, n.deadline())
	if err != nil {
		return err
	}
	hashes, err := wire.DecodeHashes(b, wire.MaxBlocksPerRequest)
	if err != nil {
		return err
	}
	for _, h := range hashes {
		raw, err := n.chain.BlockRaw(h)
		if err != nil || len(raw) > n.maxBlockFrame() {
			raw = nil
		}
		if err := wire.WriteFrame(s, raw, n.deadline()); err != nil {
			return err
		}
	}
	return nil
}
