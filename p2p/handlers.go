package p2p

import (
	"errors"
	"runtime/debug"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// registerHandlers installs the stream protocols.
func (n *Node) registerHandlers() {
	n.handle(StatusProtocol, n.handleStatus)
	n.handle(HeadersProtocol, n.handleHeaders)
	n.handle(BlocksProtocol, n.handleBlocks)
	n.handle(TxsProtocol, n.handleTxs)
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
			var pe protoError
			if errors.As(err, &pe) {
				n.penalize(p, penaltyBadData, proto+": "+pe.msg)
			}
			n.log.Debug("stream handler failed", "protocol", proto, "peer", p, "err", err)
			return
		}
		_ = s.Close()
	})
}

// handleHeaders serves up to MaxHeadersPerRequest main-chain headers after
// the requester's locator.
func (n *Node) handleHeaders(s network.Stream) error {
	b, err := readFrame(s, maxHeadersReqSize, n.deadline())
	if err != nil {
		return err
	}
	req, err := decodeHeadersReq(b)
	if err != nil {
		return err
	}
	max := int(req.Max)
	if max <= 0 || max > MaxHeadersPerRequest {
		max = MaxHeadersPerRequest
	}
	return writeFrame(s, encodeHeaders(n.chain.HeadersAfter(req.Locator, max)), n.deadline())
}

// maxBlockFrame bounds one block in a sync response.
func (n *Node) maxBlockFrame() int { return min(n.params.MaxBlockSize, consensus.MaxBlockSizeLimit) }

// handleBlocks serves stored blocks: one frame per requested hash, empty
// when we do not have it.
func (n *Node) handleBlocks(s network.Stream) error {
	b, err := readFrame(s, maxBlocksReqSize, n.deadline())
	if err != nil {
		return err
	}
	hashes, err := decodeHashes(b, MaxBlocksPerRequest)
	if err != nil {
		return err
	}
	for _, h := range hashes {
		raw, err := n.chain.BlockRaw(h)
		if err != nil || len(raw) > n.maxBlockFrame() {
			raw = nil
		}
		if err := writeFrame(s, raw, n.deadline()); err != nil {
			return err
		}
	}
	return nil
}
