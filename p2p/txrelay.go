package p2p

import (
	"context"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// graftPushEvery rate-limits the mempool push on mesh grafts per peer.
const graftPushEvery = 5 * time.Minute

// pushDeadline allows a large mempool push: PeerTimeout plus a second per
// 5,000 txs.
func (n *Node) pushDeadline(count int) time.Time {
	return time.Now().Add(n.cfg.PeerTimeout + time.Duration(count/5000)*time.Second)
}

// pushMempool sends our whole mempool to a peer that just completed its
// handshake. Gossip only reaches peers in the mesh when a message is first
// published, so without this a late joiner would never see pending txs.
func (n *Node) pushMempool(p peer.ID) { n.pushTxs(p, n.pool.Txs()) }

// PushTxs sends txs straight to every connected peer over TxsProtocol, not
// only through gossip. The node uses it for txs a reorg put back in the
// pool: the reorg runs right after a (re)connection, before gossip has a
// mesh with the new peers, and the handshake push has already happened.
func (n *Node) PushTxs(txs []*consensus.Tx) {
	if len(txs) == 0 || !n.enter() {
		return
	}
	defer n.leave()
	for _, p := range n.host.Network().Peers() {
		n.goSafe("push txs", func() { n.pushTxs(p, txs) })
	}
}

func (n *Node) pushTxs(p peer.ID, txs []*consensus.Tx) {
	if len(txs) == 0 {
		return
	}
	if len(txs) > maxTxsPerPush {
		txs = txs[:maxTxsPerPush]
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(TxsProtocol))
	if err != nil {
		n.log.Debug("mempool push: open stream", "peer", p, "err", err)
		return
	}
	write := func(b []byte) error { return writeFrame(s, b, n.cfg.PeerTimeout) }
	if err := write(encodeU32(uint32(len(txs)))); err != nil {
		_ = s.Reset()
		return
	}
	for _, tx := range txs {
		if err := write(tx.Encode()); err != nil {
			n.log.Debug("mempool push interrupted", "peer", p, "err", err)
			_ = s.Reset()
			return
		}
	}
	_ = s.Close()
	n.stats.txsOut.Add(uint64(len(txs)))
	n.log.Debug("pushed mempool", "peer", p, "txs", len(txs))
}

// onGraft pushes our mempool again when a peer joins our tx mesh. The
// handshake push can precede the graft by a heartbeat, and a tx we relay in
// that gap goes only to mesh peers: this closes the gap.
func (n *Node) onGraft(p peer.ID, topic string) {
	if topic != n.txTopicName || n.closed.Load() {
		return
	}
	if e, ok := n.peers.get(p); !ok || !e.ready {
		return // the handshake push is still to come
	}
	// Mesh maintenance may prune and re-graft a peer; one push per peer
	// per graftPushEvery is enough to cover the gap after a handshake.
	now := time.Now()
	if last, ok := n.graftPushed.Load(p); ok && now.Sub(last.(time.Time)) < graftPushEvery {
		return
	}
	n.graftPushed.Store(p, now)
	n.goSafe("push mempool on graft", func() { n.pushMempool(p) })
}

// handleTxs receives a peer's mempool push. Invalid txs cost the sender;
// txs our pool refuses by policy or state do not.
func (n *Node) handleTxs(s network.Stream) error {
	p := s.Conn().RemotePeer()
	b, err := readFrame(s, 4, n.deadline())
	if err != nil {
		return err
	}
	count, err := decodeU32(b)
	if err != nil {
		return err
	}
	if count > maxTxsPerPush {
		return protoErrf("push of %d txs exceeds %d", count, maxTxsPerPush)
	}
	deadline := n.pushDeadline(int(count))
	accepted := 0
	for i := uint32(0); i < count; i++ {
		raw, err := readFrameBy(s, consensus.MaxTxSize, deadline)
		if err != nil {
			return err
		}
		tx, err := consensus.DecodeTx(raw)
		if err != nil {
			return protoErrf("tx %d: %v", i, err)
		}
		if _, err := n.pool.Add(tx); err != nil {
			if code := consensus.CodeOf(err); code != 0 && !stateDependent(code) {
				n.penalize(p, penaltyBadTx, "invalid tx in mempool push: "+code.String())
				if !n.gater.allowed(p) {
					return nil // banned: stop reading
				}
			}
			continue
		}
		accepted++
	}
	n.stats.txsIn.Add(uint64(accepted))
	if accepted > 0 {
		n.log.Debug("received mempool push", "peer", p, "txs", count, "accepted", accepted)
	}
	return nil
}
