package p2p

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Status timing. The tip debounce batches the many tip changes of a sync
// into one refresh; the handshake retry covers a peer whose handlers were
// not yet registered when we connected.
const (
	tipDebounce    = 300 * time.Millisecond
	handshakeRetry = time.Second
)

// incompatibleFor is how long a peer that failed the handshake for good
// (other genesis or version) is refused: long enough never to redial it in
// practice, short enough that an upgraded peer is tried again one day.
const incompatibleFor = 24 * time.Hour

// watchConnections starts the loop that reacts to peers connecting and
// disconnecting.
func (n *Node) watchConnections() error {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		return fmt.Errorf("p2p: subscribe to connection events: %w", err)
	}
	n.loop("connections", func() {
		defer sub.Close()
		for {
			select {
			case <-n.ctx.Done():
				return
			case e, ok := <-sub.Out():
				if !ok {
					return
				}
				ev := e.(event.EvtPeerConnectednessChanged)
				switch ev.Connectedness {
				case network.Connected:
					n.onConnect(ev.Peer)
				case network.NotConnected:
					n.onDisconnect(ev.Peer)
				}
			}
		}
	})
	return nil
}

func (n *Node) onConnect(p peer.ID) {
	conns := n.host.Network().ConnsToPeer(p)
	if len(conns) == 0 {
		return
	}
	ip, _ := connIP(conns)
	n.table.Add(p, conns[0].Stat().Direction, ip, time.Now())
	n.goSafe("handshake", func() { n.handshake(p) })
}

// onDisconnect frees everything kept for a connection.
func (n *Node) onDisconnect(p peer.ID) {
	if e, ok := n.table.Get(p); ok {
		height := uint64(0)
		if e.Status != nil {
			height = e.Status.Height
		}
		n.log.Info("peer disconnected", "peer", p, "addr", e.IP, "handshaked", e.Ready, "height", height,
			"connected_for", time.Since(e.Since).Round(time.Second), "peers", n.ConnectionCount())
	}
	n.table.Remove(p)
	n.tracer.forget(p)
	n.dialer.forget(p)
}

// handshake runs our side of the status exchange with a new peer. The peer
// runs its own side against our handler, so either exchange completes it.
func (n *Node) handshake(p peer.ID) {
	err := n.exchangeStatus(p)
	if err == nil {
		return
	}
	var he HandshakeError
	if errors.As(err, &he) && he.permanent() {
		n.refusePeer(p, he)
		return
	}
	select {
	case <-n.ctx.Done():
		return
	case <-time.After(handshakeRetry):
	}
	if e, ok := n.table.Get(p); (ok && e.Ready) || !n.allowed(p) {
		return
	}
	if err = n.exchangeStatus(p); err == nil {
		return
	}
	if errors.As(err, &he) && he.permanent() {
		n.refusePeer(p, he)
		return
	}
	if e, ok := n.table.Get(p); ok && e.Ready {
		return
	}
	n.stats.handshakeFails.Add(1)
	n.log.Info("handshake failed, disconnecting", "peer", p, "err", err)
	_ = n.host.Network().ClosePeer(p)
}

// refusePeer disconnects a peer that can never be useful and remembers it,
// so neither side keeps redialling.
func (n *Node) refusePeer(p peer.ID, he HandshakeError) {
	n.stats.handshakeFails.Add(1)
	n.log.Warn("refusing incompatible peer", "peer", p, "reason", he.Reason, "detail", he.Msg)
	n.refuse(p, incompatibleFor, string(he.Reason)+": "+he.Msg)
	n.dialer.remove(p)
	_ = n.host.Network().ClosePeer(p)
}

func (n *Node) localStatus() *wire.Status {
	tip := n.chain.Tip()
	return &wire.Status{
		Version: wire.ProtocolVersion, Network: n.params.Name, Genesis: n.params.GenesisHash,
		Height: tip.Height, Best: tip.Hash, Work: tip.ChainWork,
	}
}

// exchangeStatus sends our status to p and reads p's.
func (n *Node) exchangeStatus(p peer.ID) error {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(wire.StatusProtocol))
	if err != nil {
		return HandshakeError{Reason: ReasonStream, Msg: err.Error()}
	}
	defer s.Close()
	if err := wire.WriteFrame(s, n.localStatus().Encode(), n.deadline()); err != nil {
		s.Reset()
		return HandshakeError{Reason: ReasonStream, Msg: err.Error()}
	}
	b, err := wire.ReadFrame(s, wire.MaxStatusSize, n.deadline())
	if err != nil {
		s.Reset()
		return n.statusReadError(p, err)
	}
	st, err := wire.DecodeStatus(b)
	if err != nil {
		n.judge(p, peers.KindMessage, err, "status")
		return HandshakeError{Reason: ReasonMalformed, Msg: err.Error()}
	}
	return n.acceptStatus(p, st)
}

func (n *Node) statusReadError(p peer.ID, err error) error {
	var pe wire.ProtocolError
	if errors.As(err, &pe) {
		n.judge(p, peers.KindMessage, err, "status")
		return HandshakeError{Reason: ReasonMalformed, Msg: err.Error()}
	}
	return HandshakeError{Reason: ReasonStream, Msg: err.Error()}
}

// handleStatus answers a peer's status exchange. We reply before judging
// theirs so a peer on another network learns why it is refused.
func (n *Node) handleStatus(s network.Stream) error {
	p := s.Conn().RemotePeer()
	b, err := wire.ReadFrame(s, wire.MaxStatusSize, n.deadline())
	if err != nil {
		return err
	}
	st, err := wire.DecodeStatus(b)
	if err != nil {
		return err
	}
	if err := wire.WriteFrame(s, n.localStatus().Encode(), n.deadline()); err != nil {
		return err
	}
	if err := n.acceptStatus(p, st); err != nil {
		var he HandshakeError
		if errors.As(err, &he) && he.permanent() {
			// Let the reply reach the peer before we hang up.
			n.goSafe("refuse", func() {
				select {
				case <-n.ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				n.refusePeer(p, he)
			})
		}
	}
	return nil
}

// acceptStatus checks a peer's status and records it. The first valid one
// completes the handshake.
func (n *Node) acceptStatus(p peer.ID, st *wire.Status) error {
	if st.Genesis != n.params.GenesisHash {
		return HandshakeError{Reason: ReasonGenesis, Msg: fmt.Sprintf("peer is on %q with genesis %s, we are on %q with %s",
			st.Network, st.Genesis, n.params.Name, n.params.GenesisHash)}
	}
	if st.Version < wire.MinProtocolVersion {
		return HandshakeError{Reason: ReasonVersion, Msg: fmt.Sprintf("peer speaks version %d, minimum is %d", st.Version, wire.MinProtocolVersion)}
	}
	first, known := n.table.SetStatus(p, st)
	if !known {
		// The peer's request raced ahead of our connection event.
		conns := n.host.Network().ConnsToPeer(p)
		if len(conns) == 0 {
			return nil
		}
		ip, _ := connIP(conns)
		n.table.Add(p, conns[0].Stat().Direction, ip, time.Now())
		first, _ = n.table.SetStatus(p, st)
	}
	if first {
		n.onHandshake(p, st)
	}
	if st.Work.Cmp(n.chain.Tip().ChainWork) > 0 {
		n.triggerSync()
	}
	return nil
}

// onHandshake starts what a new peer gets: our mempool, a place in the peer
// file, and a sync check against its tip.
func (n *Node) onHandshake(p peer.ID, st *wire.Status) {
	n.stats.handshakes.Add(1)
	n.log.Info("peer connected", "peer", p, "height", st.Height, "best", st.Best, "version", st.Version)
	n.store.Remember(p, n.host.Peerstore().Addrs(p))
	n.goSafe("announce mempool", func() { n.announceMempool(p) })
}

// statusLoop re-exchanges status with every ready peer periodically and
// shortly after our tip changes, so peers' heights stay current.
func (n *Node) statusLoop() {
	tick := time.NewTicker(n.cfg.StatusInterval)
	defer tick.Stop()
	var debounce <-chan time.Time
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
			n.refreshAll()
		case <-n.tipCh:
			if debounce == nil {
				debounce = time.After(tipDebounce)
			}
		case <-debounce:
			debounce = nil
			n.refreshAll()
		}
	}
}

func (n *Node) refreshAll() {
	for _, sp := range n.table.Ready() {
		n.refreshStatus(sp.ID)
	}
}

// refreshStatus re-exchanges status with one peer in the background; at
// most one refresh per peer runs at a time, so a slow peer cannot pile
// them up.
func (n *Node) refreshStatus(p peer.ID) {
	if !n.table.StartRefresh(p) {
		return
	}
	n.goSafe("status refresh", func() {
		defer n.table.EndRefresh(p)
		if err := n.exchangeStatus(p); err != nil {
			n.log.Debug("status refresh failed", "peer", p, "err", err)
		}
	})
}

// deadline is the time allowed for one read or write.
func (n *Node) deadline() time.Duration { return n.cfg.PeerTimeout }
