package p2p

import (
	"time"
)

const (
	storeSaveEvery = 30 * time.Second
	bansSaveEvery  = 2 * time.Second
	// lonelyAfter is how long a node may have no peers before it says so,
	// and lonelyEvery how often it repeats it.
	lonelyAfter = 15 * time.Second
	lonelyEvery = time.Minute
)

// storeLoop refreshes connected peers' addresses (identify may have added
// their listen addresses since the handshake) and saves the peer file
// periodically, and the ban list soon after automatic bans changed it.
func (n *Node) storeLoop() {
	peerTick := time.NewTicker(storeSaveEvery)
	defer peerTick.Stop()
	banTick := time.NewTicker(bansSaveEvery)
	defer banTick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-banTick.C:
			n.saveBans()
		case <-peerTick.C:
			for _, sp := range n.table.Ready() {
				n.store.Remember(sp.ID, n.host.Peerstore().Addrs(sp.ID))
			}
			if err := n.store.Save(); err != nil {
				n.log.Warn("save peer file", "err", err)
			}
		}
	}
}

// lonelyLoop warns while the node has no peers: a node nobody connects to
// and that knows nobody to dial should say so, not stay silent.
func (n *Node) lonelyLoop() {
	tick := time.NewTicker(lonelyAfter)
	defer tick.Stop()
	var lonelySince, lastWarn time.Time
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
		}
		if n.ConnectionCount() > 0 {
			lonelySince = time.Time{}
			continue
		}
		now := time.Now()
		if lonelySince.IsZero() {
			lonelySince = now.Add(-lonelyAfter)
		}
		if now.Sub(lastWarn) < lonelyEvery {
			continue
		}
		lastWarn = now
		n.log.Warn("no peers connected: this node is not syncing or relaying",
			"for", now.Sub(lonelySince).Round(time.Second), "static_peers", len(n.cfg.Peers),
			"bootstrap", len(n.cfg.Bootstrap), "listen", n.Addrs(),
			"hint", "add peers with --peer <multiaddr>/p2p/<id> or --bootstrap, or connect with `cairn rpc addnode`")
	}
}
