package p2p

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Reconnect backoff: doubles from dialMinBackoff to dialMaxBackoff with
// ±20% jitter so restarted peers are not hit by everyone at once.
const (
	dialMinBackoff = time.Second
	dialMaxBackoff = 5 * time.Minute
	dialTick       = 500 * time.Millisecond
	// softAttempts drops a discovered or remembered peer after this many
	// failed dials in a row; static peers are retried forever.
	softAttempts = 5
	staticTag    = "cairn-static"
	// droppedFor: after DisconnectNode, discovery (DHT, mDNS, peer file)
	// may not re-add the peer for this long; only an explicit AddNode can.
	droppedFor = 10 * time.Minute
	// maxSoftTargets bounds discovered (non-static) dial targets, and
	// maxDropped the operator's disconnect list: discovery cannot grow
	// either without limit.
	maxSoftTargets = 1024
	maxDropped     = 4096
)

type dialTarget struct {
	info    peer.AddrInfo
	static  bool
	fails   int
	next    time.Time
	dialing bool
	// gone: the peer disconnected while a dial was in flight; a failed
	// dial then drops the target instead of scheduling another.
	gone bool
}

// dialer keeps static peers connected and tries discovered ones.
type dialer struct {
	n       *Node
	mu      sync.Mutex
	targets map[peer.ID]*dialTarget
	dropped map[peer.ID]time.Time // when the operator disconnected a peer
}

func newDialer(n *Node) *dialer {
	return &dialer{n: n, targets: map[peer.ID]*dialTarget{}, dropped: map[peer.ID]time.Time{}}
}

// add registers a peer to dial. A static peer is protected from the
// connection manager's trimming and redialled forever.
func (d *dialer) add(ai peer.AddrInfo, static bool) {
	if ai.ID == d.n.host.ID() || len(ai.Addrs) == 0 {
		return
	}
	d.mu.Lock()
	if at, ok := d.dropped[ai.ID]; ok {
		if !static && time.Since(at) < droppedFor {
			d.mu.Unlock()
			return
		}
		delete(d.dropped, ai.ID)
	}
	t, ok := d.targets[ai.ID]
	if !ok && !static && d.softCount() >= maxSoftTargets {
		d.mu.Unlock()
		return
	}
	if !ok {
		t = &dialTarget{info: ai}
		d.targets[ai.ID] = t
	}
	t.info.Addrs = mergeAddrs(t.info.Addrs, ai.Addrs)
	t.static = t.static || static
	d.mu.Unlock()
	if static {
		d.n.host.ConnManager().Protect(ai.ID, staticTag)
	}
}

func (d *dialer) remove(p peer.ID) {
	d.mu.Lock()
	delete(d.targets, p)
	if len(d.dropped) >= maxDropped {
		clear(d.dropped) // bounded; forgetting early only allows a redial
	}
	d.dropped[p] = time.Now()
	d.mu.Unlock()
	d.n.host.ConnManager().Unprotect(p, staticTag)
}

// forget drops a discovered peer that disconnected; static peers stay to
// be redialled. Discovery re-adds peers it still finds.
func (d *dialer) forget(p peer.ID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.targets[p]
	switch {
	case !ok || t.static:
	case t.dialing:
		t.gone = true
	default:
		delete(d.targets, p)
	}
}

// softCount is the number of non-static targets; d.mu is held.
func (d *dialer) softCount() int {
	c := 0
	for _, t := range d.targets {
		if !t.static {
			c++
		}
	}
	return c
}

// run dials due targets until the node stops.
func (d *dialer) run() {
	tick := time.NewTicker(dialTick)
	defer tick.Stop()
	for {
		d.dialDue()
		select {
		case <-d.n.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (d *dialer) dialDue() {
	now := time.Now()
	net := d.n.host.Network()
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, t := range d.targets {
		if t.dialing || now.Before(t.next) || net.Connectedness(id) == network.Connected {
			continue
		}
		if !d.n.gater.Allowed(id) {
			continue
		}
		if !t.static && len(net.Peers()) >= d.n.cfg.LowWater {
			continue // enough peers; only static ones are worth a dial
		}
		t.dialing = true
		ai := t.info
		d.n.goSafe("dial", func() { d.dial(ai) })
	}
}

func (d *dialer) dial(ai peer.AddrInfo) {
	ctx, cancel := context.WithTimeout(d.n.ctx, d.n.cfg.PeerTimeout)
	err := d.n.host.Connect(ctx, ai)
	cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.targets[ai.ID]
	if !ok {
		// Removed (DisconnectNode) while we dialled: honour the removal.
		if err == nil {
			_ = d.n.host.Network().ClosePeer(ai.ID)
		}
		return
	}
	t.dialing = false
	if err == nil {
		t.fails, t.gone = 0, false
		t.next = time.Time{}
		return
	}
	if t.gone {
		delete(d.targets, ai.ID)
		return
	}
	t.fails++
	if !t.static && t.fails >= softAttempts {
		delete(d.targets, ai.ID)
		return
	}
	t.next = time.Now().Add(backoff(t.fails))
	if d.n.ctx.Err() == nil {
		d.n.log.Debug("dial failed", "peer", ai.ID, "attempt", t.fails, "retry_in", time.Until(t.next).Round(time.Second), "err", err)
	}
}

// backoff is the wait after the given number of consecutive failures.
func backoff(fails int) time.Duration {
	b := dialMinBackoff << min(fails-1, 20)
	if b > dialMaxBackoff || b <= 0 {
		b = dialMaxBackoff
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(b) * jitter)
}
