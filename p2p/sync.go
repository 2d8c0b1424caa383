package p2p

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/holiman/uint256"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Sync timing.
const (
	// syncDebounce lets a burst of handshakes land before a sync picks its
	// peers, so the first session can fetch from all of them.
	syncDebounce = 200 * time.Millisecond
	syncCheck    = 5 * time.Second
	// syncFailBackoff keeps a peer that failed a sync (stalled, lied about
	// its work, served nothing usable) from winning the next pick; it
	// doubles with each consecutive failure.
	syncFailBackoff = 30 * time.Second
	// syncAttempts bounds sessions per trigger so lying peers cannot keep
	// the loop busy.
	syncAttempts = 8
)

var errNoProgress = errors.New("p2p: sync peer had nothing beyond our locator")

func (n *Node) triggerSync() {
	select {
	case n.syncTrigger <- struct{}{}:
	default:
	}
}

// syncLoop runs one sync at a time, when a peer shows more work than ours
// or periodically.
func (n *Node) syncLoop() {
	tick := time.NewTicker(syncCheck)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.syncTrigger:
		case <-tick.C:
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(syncDebounce):
		}
		n.syncOnce()
	}
}

// syncOnce syncs from the best peer until no trusted peer has more work
// than us. A peer that fails (stalls, lies about its work, serves nothing
// usable) is backed off, so the next pick rotates to another peer.
func (n *Node) syncOnce() {
	for i := 0; i < syncAttempts && n.ctx.Err() == nil; i++ {
		tip := n.chain.Tip()
		sp, ok := n.pickSyncPeer(tip.ChainWork)
		if !ok {
			return
		}
		err := n.syncFrom(sp)
		if err == nil {
			n.backoff.Succeed(sp.ID)
			continue
		}
		d := n.backoff.Fail(sp.ID, syncFailBackoff)
		if n.ctx.Err() == nil {
			n.log.Info("sync from peer failed", "peer", sp.ID, "backoff", d, "err", err)
		}
	}
}

// pickSyncPeer returns the ready peer with the most work above ours that
// is neither banned nor backed off.
func (n *Node) pickSyncPeer(ours *uint256.Int) (peers.Candidate, bool) {
	for _, sp := range n.table.Ready() {
		if sp.Work.Cmp(ours) <= 0 {
			break // sorted by work
		}
		if n.backoff.Active(sp.ID) || !n.allowed(sp.ID) {
			continue
		}
		return sp, true
	}
	return peers.Candidate{}, false
}

// syncFrom pre-syncs sp's headers from our locator (see presync.go), then
// stores the worthy part of its branch batch by batch and fetches and
// processes the bodies of each batch before asking for more. The work sp
// claimed in its status must be reached by the headers it sends: if they
// end short of it, sp lied (or serves a useless branch) and is penalised.
func (n *Node) syncFrom(sp peers.Candidate) error {
	started := time.Now()
	startHeight := n.chain.Tip().Height
	n.log.Info("sync started", "peer", sp.ID, "peer_height", sp.Height, "our_height", startHeight)
	ps := n.newPresync()
	loc := n.chain.Locator()
	for n.ctx.Err() == nil {
		hs, err := n.fetchHeaders(sp.ID, loc)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			break
		}
		n.stats.headersFetched.Add(uint64(len(hs)))
		ready, first, werr := ps.add(hs)
		if len(ready) > 0 {
			n.log.Info("sync headers", "peer", sp.ID, "count", len(ready), "from_height", first,
				"to_height", first+uint64(len(ready))-1, "peer_height", sp.Height)
			if err := n.storeAndFetch(sp, ready, first); err != nil {
				return err
			}
		}
		if werr != nil {
			n.judge(sp.ID, peers.KindHeader, werr, "sync headers")
			return werr
		}
		redownloaded := ps.redownload
		if redownloaded {
			ps.redownload = false
			if err := n.redownloadFrom(sp, ps); err != nil {
				return err
			}
		}
		// A short batch ends the branch, unless the walk stopped inside
		// it to re-download: the rest of it is still to come.
		if len(hs) < n.cfg.headersBatch && !redownloaded {
			break
		}
		// Lead with the branch's last header: it may not be our main chain
		// (a reorg needs more work, and a pre-synced branch is not stored
		// at all), and our locator alone would make the peer resend the
		// same batch.
		loc = append([]consensus.Hash{ps.st.Hash}, n.chain.Locator()...)
		if len(loc) > wire.MaxLocatorHashes {
			loc = loc[:wire.MaxLocatorHashes]
		}
	}
	if err := n.ctx.Err(); err != nil {
		return err
	}
	if err := n.checkClaim(sp, ps); err != nil {
		return err
	}
	tip := n.chain.Tip()
	secs := time.Since(started).Seconds()
	n.log.Info("sync finished", "peer", sp.ID, "height", tip.Height, "blocks", tip.Height-min(tip.Height, startHeight),
		"headers", ps.count, "seconds", fmt.Sprintf("%.1f", secs),
		"blocks_per_sec", fmt.Sprintf("%.1f", float64(tip.Height-min(tip.Height, startHeight))/max(secs, 1e-3)))
	return nil
}

// checkClaim compares the work sp's headers added up to with the work its
// status claimed. A branch that never beat our tip is useless to us
// whatever it claimed; one that claimed more than it had is a lie. Our own
// tip may have overtaken the claim meanwhile (by gossip or another peer),
// which excuses a short answer.
func (n *Node) checkClaim(sp peers.Candidate, ps *presync) error {
	var reached *uint256.Int
	if ps.started {
		reached = &ps.st.Work
	}
	if reached != nil && reached.Cmp(sp.Work) >= 0 {
		if !ps.worthy {
			return fmt.Errorf("%w: branch of %d headers never beat our work", errNoProgress, ps.count)
		}
		return nil
	}
	if sp.Work.Cmp(n.chain.Tip().ChainWork) <= 0 {
		return nil
	}
	err := fmt.Errorf("%w: claimed %s, headers reach %s", peers.ErrLiedWork, sp.Work.Dec(), workString(reached))
	n.judge(sp.ID, peers.KindHeader, err, "sync")
	if ps.count == 0 {
		return fmt.Errorf("%w: %w", errNoProgress, err)
	}
	return err
}

func workString(w *uint256.Int) string {
	if w == nil {
		return "nothing"
	}
	return w.Dec()
}

// fetchHeaders asks p for the headers after our locator.
func (n *Node) fetchHeaders(p peer.ID, loc []consensus.Hash) ([]consensus.Header, error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(wire.HeadersProtocol))
	if err != nil {
		return nil, fmt.Errorf("p2p: open headers stream: %w", err)
	}
	defer s.Close()
	req := wire.HeadersReq{Locator: loc, Max: uint32(n.cfg.headersBatch)}
	if err := wire.WriteFrame(s, req.Encode(), n.deadline()); err != nil {
		_ = s.Reset()
		return nil, err
	}
	b, err := wire.ReadFrame(s, wire.MaxHeadersRespSize, n.deadline())
	if err == nil {
		var hs []consensus.Header
		if hs, err = wire.DecodeHeaders(b, n.cfg.headersBatch); err == nil {
			return hs, nil
		}
	}
	_ = s.Reset()
	n.judge(p, peers.KindMessage, err, "headers response")
	return nil, err
}
