package p2p

import (
	"context"
	"net/netip"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Tx relay outside gossip. Gossip only reaches peers in the mesh when a
// message is first published, so a peer that just connected (or just joined
// our tx mesh) would never see pending txs: we announce up to
// wire.MaxInvIDs of our best txs by id and send only those it lacks.
const (
	// graftPushEvery rate-limits the announce on mesh grafts per peer.
	graftPushEvery = 5 * time.Minute
	// Unsolicited upload (inventories and the txs fetched from them) per
	// remote IP: a burst covers a full inventory and its txs, the refill
	// keeps a host reconnecting with fresh peer IDs to a trickle.
	uploadBurstDefault = 8 << 20
	uploadRateDefault  = 64 << 10
	// invTemplateBytes bounds the size of the txs an inventory offers.
	invTemplateBytes = 64 << 20
)

// txDeadline allows a large transfer: PeerTimeout plus a second per 5,000 txs.
func (n *Node) txDeadline(count int) time.Time {
	return time.Now().Add(n.cfg.PeerTimeout + time.Duration(count/5000)*time.Second)
}

// announceMempool offers p the ids of our best pool txs (executable, fee
// order) and sends those it asks for, within p's address budget.
func (n *Node) announceMempool(p peer.ID) {
	txs := n.pool.Template(wire.MaxInvIDs, invTemplateBytes)
	if len(txs) == 0 {
		return
	}
	ip, ok := connIP(n.host.Network().ConnsToPeer(p))
	if !ok {
		return // gone already (or no IP to charge: nothing unasked goes out)
	}
	// The inventory itself is charged too: 32 bytes per id.
	affordable := int(n.budget.Take(ip, float64(32*len(txs)))) / 32
	if affordable < len(txs) {
		n.stats.uploadThrottled.Add(1)
		n.log.Debug("mempool announce throttled", "peer", p, "addr", ip, "ids", affordable, "of", len(txs))
		txs = txs[:affordable]
	}
	if len(txs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(wire.TxInvProtocol))
	if err != nil {
		n.log.Debug("mempool announce: open stream", "peer", p, "err", err)
		return
	}
	sent, err := n.serveInventory(s, ip, txs)
	if err != nil {
		_ = s.Reset()
		n.judge(p, peers.KindMessage, err, "tx inventory")
		return
	}
	_ = s.Close()
	n.stats.txsOut.Add(uint64(sent))
	n.log.Debug("announced mempool", "peer", p, "ids", len(txs), "sent", sent)
}

// serveInventory writes the ids, reads which the peer wants and sends those
// txs, each charged to the peer's address.
func (n *Node) serveInventory(s network.Stream, ip netip.Addr, txs []*consensus.Tx) (int, error) {
	ids := make([]consensus.Hash, len(txs))
	byID := make(map[consensus.Hash]*consensus.Tx, len(txs))
	for i, tx := range txs {
		ids[i] = tx.ID()
		byID[ids[i]] = tx
	}
	if err := wire.WriteFrame(s, wire.EncodeIDs(ids), n.deadline()); err != nil {
		return 0, err
	}
	b, err := wire.ReadFrame(s, wire.MaxIDsSize, n.deadline())
	if err != nil {
		return 0, err
	}
	want, err := wire.DecodeIDs(b, len(ids))
	if err != nil {
		return 0, err
	}
	deadline := n.txDeadline(len(want))
	sent := 0
	for _, id := range want {
		tx, ok := byID[id]
		if !ok {
			return sent, wire.Errorf("asked for tx %s that was not offered", id)
		}
		raw := tx.Encode()
		if n.budget.Take(ip, float64(len(raw))) < float64(len(raw)) {
			raw = nil // out of budget: the peer sees it as gone
			n.stats.uploadThrottled.Add(1)
		}
		if err := writeFrameBy(s, raw, deadline); err != nil {
			return sent, err
		}
		if raw != nil {
			sent++
		}
	}
	return sent, nil
}

// handleTxInv answers a peer's inventory with the ids we lack and adds the
// txs it then sends. Invalid txs cost the sender by the policy; txs our
// pool refuses by policy or state do not.
func (n *Node) handleTxInv(s network.Stream) error {
	p := s.Conn().RemotePeer()
	b, err := wire.ReadFrame(s, wire.MaxIDsSize, n.deadline())
	if err != nil {
		return err
	}
	ids, err := wire.DecodeIDs(b, wire.MaxInvIDs)
	if err != nil {
		return err
	}
	var want []consensus.Hash
	seen := make(map[consensus.Hash]bool, len(ids))
	for _, id := range ids {
		if !seen[id] && !n.pool.Has(id) {
			want = append(want, id)
		}
		seen[id] = true
	}
	if err := wire.WriteFrame(s, wire.EncodeIDs(want), n.deadline()); err != nil {
		return err
	}
	deadline := n.txDeadline(len(want))
	accepted := 0
	for i, id := range want {
		raw, err := wire.ReadFrameBy(s, consensus.MaxTxSize, deadline)
		if err != nil {
			return err
		}
		if len(raw) == 0 {
			continue // left the sender's pool, or its budget for us ran out
		}
		tx, err := consensus.DecodeTx(raw)
		if err != nil {
			return wire.Errorf("tx %d: %v", i, err)
		}
		if tx.ID() != id {
			return wire.Errorf("asked for tx %s, got %s", id, tx.ID())
		}
		if ok, stop := n.addPeerTx(p, tx); ok {
			accepted++
		} else if stop {
			return nil
		}
	}
	n.stats.txsIn.Add(uint64(accepted))
	if accepted > 0 {
		n.log.Debug("received announced txs", "peer", p, "offered", len(ids), "wanted", len(want), "accepted", accepted)
	}
	return nil
}

// addPeerTx adds a tx a peer sent outside gossip. stop is set when the
// peer got banned for it, so the caller stops reading from it.
func (n *Node) addPeerTx(p peer.ID, tx *consensus.Tx) (ok, stop bool) {
	_, err := n.pool.Add(tx)
	if err == nil {
		return true, false
	}
	if v := n.judge(p, peers.KindTx, err, "tx from peer"); v.Action == peers.Penalize && !n.allowed(p) {
		return false, true
	}
	return false, false
}

// PushTxs sends txs straight to every connected peer over TxsProtocol, not
// only through gossip. The node uses it for txs a reorg put back in the
// pool: the reorg runs right after a (re)connection, before gossip has a
// mesh with the new peers, and the handshake announce has already happened.
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
	if len(txs) > wire.MaxTxsPerPush {
		txs = txs[:wire.MaxTxsPerPush]
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(wire.TxsProtocol))
	if err != nil {
		n.log.Debug("tx push: open stream", "peer", p, "err", err)
		return
	}
	deadline := n.txDeadline(len(txs))
	if err := writeFrameBy(s, wire.EncodeU32(uint32(len(txs))), deadline); err != nil {
		_ = s.Reset()
		return
	}
	for _, tx := range txs {
		if err := writeFrameBy(s, tx.Encode(), deadline); err != nil {
			n.log.Debug("tx push interrupted", "peer", p, "err", err)
			_ = s.Reset()
			return
		}
	}
	_ = s.Close()
	n.stats.txsOut.Add(uint64(len(txs)))
	n.log.Debug("pushed txs", "peer", p, "txs", len(txs))
}

// writeFrameBy writes one frame before an absolute deadline shared by a
// multi-frame transfer.
func writeFrameBy(s network.Stream, b []byte, deadline time.Time) error {
	return wire.WriteFrame(s, b, time.Until(deadline))
}

// onGraft announces our mempool again when a peer joins our tx mesh. The
// handshake announce can precede the graft by a heartbeat, and a tx we
// relay in that gap goes only to mesh peers: this closes the gap.
func (n *Node) onGraft(p peer.ID, topic string) {
	if topic != n.txTopicName || n.closed.Load() {
		return
	}
	// Mesh maintenance may prune and re-graft a peer; one announce per
	// peer per graftPushEvery is enough to cover the gap after a handshake.
	if !n.table.GraftPushDue(p, time.Now(), graftPushEvery) {
		return
	}
	n.goSafe("announce mempool on graft", func() { n.announceMempool(p) })
}

// handleTxs receives pushed txs (reorg re-announcements).
func (n *Node) handleTxs(s network.Stream) error {
	p := s.Conn().RemotePeer()
	b, err := wire.ReadFrame(s, 4, n.deadline())
	if err != nil {
		return err
	}
	count, err := wire.DecodeU32(b)
	if err != nil {
		return err
	}
	if count > wire.MaxTxsPerPush {
		return wire.Errorf("push of %d txs exceeds %d", count, wire.MaxTxsPerPush)
	}
	deadline := n.txDeadline(int(count))
	accepted := 0
	for i := uint32(0); i < count; i++ {
		raw, err := wire.ReadFrameBy(s, consensus.MaxTxSize, deadline)
		if err != nil {
			return err
		}
		tx, err := consensus.DecodeTx(raw)
		if err != nil {
			return wire.Errorf("tx %d: %v", i, err)
		}
		if ok, stop := n.addPeerTx(p, tx); ok {
			accepted++
		} else if stop {
			return nil
		}
	}
	n.stats.txsIn.Add(uint64(accepted))
	if accepted > 0 {
		n.log.Debug("received tx push", "peer", p, "txs", count, "accepted", accepted)
	}
	return nil
}
