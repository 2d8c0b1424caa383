package p2p

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/consensus"
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
	// syncFailBackoff keeps a peer that failed a sync from being chosen
	// again at once.
	syncFailBackoff = 30 * time.Second
	// syncAttempts bounds sessions per trigger so a lying peer cannot keep
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

// syncOnce syncs from the best peer until no peer has more work than us.
func (n *Node) syncOnce() {
	for i := 0; i < syncAttempts && n.ctx.Err() == nil; i++ {
		tip := n.chain.Tip()
		sp, ok := n.pickSyncPeer(tip.ChainWork)
		if !ok {
			return
		}
		err := n.syncFrom(sp)
		if err == nil {
			continue
		}
		n.syncFails.Store(sp.id, time.Now())
		if n.ctx.Err() == nil {
			n.log.Info("sync from peer failed", "peer", sp.id, "err", err)
		}
	}
}

// pickSyncPeer returns the ready peer with the most work above ours that
// has not failed us recently.
func (n *Node) pickSyncPeer(ours *uint256.Int) (syncPeer, bool) {
	for _, sp := range n.peers.ready() {
		if sp.work.Cmp(ours) <= 0 {
			break // sorted by work
		}
		if at, ok := n.syncFails.Load(sp.id); ok && time.Since(at.(time.Time)) < syncFailBackoff {
			continue
		}
		if !n.gater.allowed(sp.id) {
			continue
		}
		return sp, true
	}
	return syncPeer{}, false
}

// syncFrom downloads headers from sp batch by batch, checks them, and
// fetches and processes the bodies of each batch before asking for more.
func (n *Node) syncFrom(sp syncPeer) error {
	started := time.Now()
	startHeight := n.chain.Tip().Height
	n.log.Info("sync started", "peer", sp.id, "peer_height", sp.height, "our_height", startHeight)
	loc := n.chain.Locator()
	var last *consensus.Hash
	var nextHeight uint64
	total := 0
	for n.ctx.Err() == nil {
		hs, err := n.fetchHeaders(sp.id, loc)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			if total > 0 {
				break
			}
			// Our tip may have caught up by gossip since we chose sp;
			// only a claim still above our work is a lie.
			if sp.work.Cmp(n.chain.Tip().ChainWork) > 0 {
				n.penalize(sp.id, penaltyLied, "status claimed more work than its headers hold")
			}
			return errNoProgress
		}
		if last == nil {
			parent, err := n.chain.BlockInfo(hs[0].PrevHash)
			if err != nil {
				n.penalize(sp.id, penaltyBadData, "headers do not connect to our chain")
				return fmt.Errorf("p2p: first header's parent %s unknown: %w", hs[0].PrevHash, err)
			}
			nextHeight = parent.Height + 1
		}
		if err := n.checkHeaders(hs, last); err != nil {
			n.penalize(sp.id, penaltyBadData, err.Error())
			return err
		}
		n.stats.headersFetched.Add(uint64(len(hs)))
		n.log.Info("sync headers", "peer", sp.id, "count", len(hs), "from_height", nextHeight,
			"to_height", nextHeight+uint64(len(hs))-1, "peer_height", sp.height)
		if err := n.fetchBodies(hs, nextHeight, sp); err != nil {
			return err
		}
		total += len(hs)
		nextHeight += uint64(len(hs))
		h := hs[len(hs)-1].Hash()
		last = &h
		if len(hs) < n.cfg.headersBatch {
			break
		}
		// Lead with the last header: its branch may not be our main chain
		// yet (a reorg needs more work), and our locator alone would make
		// the peer resend the same batch.
		loc = append([]consensus.Hash{h}, n.chain.Locator()...)
		if len(loc) > maxLocatorHashes {
			loc = loc[:maxLocatorHashes]
		}
	}
	tip := n.chain.Tip()
	secs := time.Since(started).Seconds()
	n.log.Info("sync finished", "peer", sp.id, "height", tip.Height, "blocks", tip.Height-min(tip.Height, startHeight),
		"seconds", fmt.Sprintf("%.1f", secs), "blocks_per_sec", fmt.Sprintf("%.1f", float64(total)/max(secs, 1e-3)))
	return n.ctx.Err()
}

// checkHeaders verifies proof of work and linkage in memory: the first
// header must follow prev (or a block we know, checked by the caller) and
// each next one its predecessor.
func (n *Node) checkHeaders(hs []consensus.Header, prev *consensus.Hash) error {
	if prev != nil && hs[0].PrevHash != *prev {
		return fmt.Errorf("headers batch does not continue the previous one")
	}
	for i := range hs {
		if i > 0 && hs[i].PrevHash != hs[i-1].Hash() {
			return fmt.Errorf("header %d does not link to header %d", i, i-1)
		}
		if err := consensus.CheckHeaderSanity(&hs[i], n.params); err != nil {
			return fmt.Errorf("header %d: %w", i, err)
		}
	}
	return nil
}

// fetchHeaders asks p for the headers after our locator.
func (n *Node) fetchHeaders(p peer.ID, loc []consensus.Hash) ([]consensus.Header, error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(HeadersProtocol))
	if err != nil {
		return nil, fmt.Errorf("p2p: open headers stream: %w", err)
	}
	defer s.Close()
	req := headersReq{Locator: loc, Max: uint32(n.cfg.headersBatch)}
	if err := writeFrame(s, req.encode(), n.deadline()); err != nil {
		_ = s.Reset()
		return nil, err
	}
	b, err := readFrame(s, maxHeadersRespSize, n.deadline())
	if err == nil {
		var hs []consensus.Header
		if hs, err = decodeHeaders(b, n.cfg.headersBatch); err == nil {
			return hs, nil
		}
	}
	_ = s.Reset()
	n.blame(p, err)
	return nil, err
}

// blame penalises p for a failed request: bad data weighs more than a
// stall; a dropped connection costs nothing.
func (n *Node) blame(p peer.ID, err error) {
	var pe protoError
	switch {
	case errors.As(err, &pe):
		n.penalize(p, penaltyBadData, pe.msg)
	case isTimeout(err):
		n.stats.stalls.Add(1)
		n.penalize(p, penaltyStall, "request timed out")
	}
}
