package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	ma "github.com/multiformats/go-multiaddr"
)

// Node is a running P2P endpoint. Create it with New, then Start; Close
// releases everything. All methods are safe for concurrent use.
type Node struct {
	cfg    Config
	log    *slog.Logger
	params *consensus.Params
	chain  ChainAPI
	pool   MempoolAPI

	ctx    context.Context
	cancel context.CancelFunc

	host  host.Host
	gater *peers.Gater
	bans  *peers.BanList
	bw    *metrics.BandwidthCounter

	table   *peers.Table // connected peers and their per-connection state
	pen     *peers.Penalties
	backoff *peers.Backoff // sync peers that failed us
	budget  *peers.Budget  // unsolicited upload per remote IP
	stats   *counters
	tracer  *tracer
	unsub   func() // chain subscription

	scoreMu sync.Mutex
	scores  map[peer.ID]float64

	txTopicName, blockTopicName string
	gossip                      *gossip
	txBatch                     *txBatcher // gossip txs into mempool batches
	dht                         *dht.IpfsDHT
	mdns                        mdns.Service
	dialer                      *dialer
	store                       *peers.Store

	tipCh       chan struct{} // tip changed: refresh status with peers
	syncTrigger chan struct{}

	startMu    sync.Mutex // serialises Start
	startTried bool
	started    atomic.Bool
	closed     atomic.Bool

	// Handlers and background goroutines register here so Close can wait
	// for them; after Close begins nothing new starts.
	actMu   sync.Mutex
	closing bool
	act     sync.WaitGroup
}

// New builds a node: identity, host and state. It does not listen or dial
// until Start. ctx bounds the node's lifetime; Close must still be called.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With("component", "p2p")
	for _, s := range append(append([]string{}, cfg.Peers...), cfg.Bootstrap...) {
		if _, err := peer.AddrInfoFromString(s); err != nil {
			return nil, ConfigError{"Peers/Bootstrap", fmt.Sprintf("%q: %v (want a multiaddr ending in /p2p/<id>)", s, err)}
		}
	}
	for _, s := range cfg.Listen {
		if _, err := ma.NewMultiaddr(s); err != nil {
			return nil, ConfigError{"Listen", fmt.Sprintf("%q: %v", s, err)}
		}
	}
	for _, s := range cfg.Announce {
		if _, err := ma.NewMultiaddr(s); err != nil {
			return nil, ConfigError{"Announce", fmt.Sprintf("%q: %v", s, err)}
		}
	}
	key, err := loadIdentity(cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	bansPath := ""
	if cfg.DataDir != "" {
		bansPath = filepath.Join(cfg.DataDir, bansFile)
	}
	bans := peers.NewBanList(bansPath, nil)
	if err := bans.Load(); err != nil {
		log.Warn("ignoring unreadable ban list", "err", err)
	}
	g := peers.NewGater(bans)
	bw := metrics.NewBandwidthCounter()
	h, err := newHost(&cfg, key, g, bw)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	n := &Node{
		cfg: cfg, log: log, params: cfg.Params, chain: cfg.Chain, pool: cfg.Mempool,
		ctx: ctx, cancel: cancel,
		host: h, gater: g, bans: bans, bw: bw,
		table: peers.NewTable(), pen: peers.NewPenalties(nil), backoff: peers.NewBackoff(nil),
		budget: peers.NewBudget(cfg.uploadRate, cfg.uploadBurst, nil), stats: newCounters(),
		scores:         map[peer.ID]float64{},
		txTopicName:    wire.TxTopic(cfg.Params),
		blockTopicName: wire.BlockTopic(cfg.Params),
		tipCh:          make(chan struct{}, 1),
		syncTrigger:    make(chan struct{}, 1),
	}
	n.tracer = newTracer(n.kindOf)
	n.tracer.onGraft = n.onGraft
	n.dialer = newDialer(n)
	n.store = peers.NewStore(cfg.DataDir, log)
	return n, nil
}

// Start registers the protocols, joins gossip, starts listening and begins
// connecting to static, bootstrap and remembered peers.
func (n *Node) Start() error {
	n.startMu.Lock()
	defer n.startMu.Unlock()
	switch {
	case n.closed.Load():
		return ErrClosed
	case n.startTried:
		return ErrStarted // also after a failed Start: Close and build a new Node
	}
	n.startTried = true
	n.registerHandlers()
	if err := n.watchConnections(); err != nil {
		return err
	}
	if err := n.startGossip(); err != nil {
		return err
	}
	n.unsub = n.chain.Subscribe(n.onChainEvent)
	if err := n.listen(); err != nil {
		return err
	}
	n.gater.Open()
	if err := n.startDiscovery(); err != nil {
		return err
	}
	n.started.Store(true)
	n.loop("status", n.statusLoop)
	n.loop("sync", n.syncLoop)
	n.loop("dialer", n.dialer.run)
	n.loop("peerstore", n.storeLoop)
	n.loop("lonely", n.lonelyLoop)
	n.log.Info("p2p started", "peer_id", n.host.ID(), "listen", n.Addrs(), "network", n.params.Name)
	return nil
}

func (n *Node) listen() error {
	addrs := make([]ma.Multiaddr, 0, len(n.cfg.Listen))
	for _, s := range n.cfg.Listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return ConfigError{"Listen", err.Error()}
		}
		addrs = append(addrs, a)
	}
	if err := n.host.Network().Listen(addrs...); err != nil {
		return fmt.Errorf("p2p: listen on %v: %w", n.cfg.Listen, err)
	}
	return nil
}

// Close stops every goroutine, closes all connections and saves the peer
// file. It is safe to call more than once.
func (n *Node) Close() error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	n.actMu.Lock()
	n.closing = true
	n.actMu.Unlock()
	n.cancel()
	if n.unsub != nil {
		n.unsub()
	}
	var errs []error
	if n.mdns != nil {
		errs = append(errs, n.mdns.Close())
	}
	if n.dht != nil {
		errs = append(errs, n.dht.Close())
	}
	errs = append(errs, n.host.Close())
	n.act.Wait()
	errs = append(errs, n.store.Save(), n.bans.Save())
	n.log.Info("p2p stopped")
	return errors.Join(errs...)
}

// enter registers a unit of work; it fails once Close has begun.
func (n *Node) enter() bool {
	n.actMu.Lock()
	defer n.actMu.Unlock()
	if n.closing {
		return false
	}
	n.act.Add(1)
	return true
}

func (n *Node) leave() { n.act.Done() }

// goSafe runs fn on a tracked goroutine that recovers from panics.
func (n *Node) goSafe(name string, fn func()) {
	if !n.enter() {
		return
	}
	go func() {
		defer n.leave()
		defer n.recoverPanic(name)
		fn()
	}()
}

// loop runs a long-lived background loop.
func (n *Node) loop(name string, fn func()) { n.goSafe(name, fn) }

// recoverPanic keeps a bug triggered by one peer's data from taking the
// node down; it is logged loudly because it is our bug.
func (n *Node) recoverPanic(where string) {
	if r := recover(); r != nil {
		n.recoverPanicValue(where, r)
	}
}

func (n *Node) recoverPanicValue(where string, r any) {
	n.log.Error("recovered panic", "where", where, "panic", r, "stack", string(debug.Stack()))
}

// ID returns the node's peer ID.
func (n *Node) ID() string { return n.host.ID().String() }

// Addrs returns the full multiaddrs peers can dial, each ending /p2p/<id>.
func (n *Node) Addrs() []string {
	addrs := n.host.Addrs()
	if len(addrs) == 0 {
		addrs = n.host.Network().ListenAddresses()
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String()+"/p2p/"+n.host.ID().String())
	}
	return out
}

// Info describes the local node.
func (n *Node) Info() NetworkInfo {
	return NetworkInfo{PeerID: n.ID(), ListenAddrs: n.Addrs(), Protocol: fmt.Sprintf("cairn/%d", wire.ProtocolVersion)}
}

// ConnectionCount is the number of connected peers.
func (n *Node) ConnectionCount() int { return len(n.host.Network().Peers()) }

// Peers describes every connected peer.
func (n *Node) Peers() []PeerInfo {
	var out []PeerInfo
	for _, p := range n.host.Network().Peers() {
		conns := n.host.Network().ConnsToPeer(p)
		if len(conns) == 0 {
			continue
		}
		pi := PeerInfo{ID: p.String(), Direction: direction(conns[0].Stat().Direction), ConnectedSince: conns[0].Stat().Opened, Score: n.score(p)}
		for _, c := range conns {
			pi.Addrs = append(pi.Addrs, c.RemoteMultiaddr().String())
		}
		if e, ok := n.table.Get(p); ok && e.Status != nil {
			pi.Protocol = fmt.Sprintf("cairn/%d", e.Status.Version)
			pi.BestHeight = e.Status.Height
			pi.ConnectedSince = e.Since
		}
		bw := n.bw.GetBandwidthForPeer(p)
		pi.BytesIn, pi.BytesOut = uint64(bw.TotalIn), uint64(bw.TotalOut)
		out = append(out, pi)
	}
	return out
}

func direction(d network.Direction) string {
	switch d {
	case network.DirInbound:
		return "inbound"
	case network.DirOutbound:
		return "outbound"
	}
	return "unknown"
}

// AddNode dials a peer (a full multiaddr ending /p2p/<id>) and, once
// connected, keeps it connected like a static peer.
func (n *Node) AddNode(ctx context.Context, maddr string) error {
	if err := n.usable(); err != nil {
		return err
	}
	ai, err := peer.AddrInfoFromString(maddr)
	if err != nil {
		return fmt.Errorf("p2p: %q: %w (want a multiaddr ending in /p2p/<id>)", maddr, err)
	}
	if ai.ID == n.host.ID() {
		return fmt.Errorf("p2p: %s is this node", ai.ID)
	}
	if r, bad := n.bans.Peer(ai.ID); bad {
		return RefusedError{Peer: ai.ID.String(), Reason: r.Reason, Until: r.Until}
	}
	for _, a := range ai.Addrs {
		if r, bad := n.bans.Multiaddr(a); bad {
			return RefusedError{Peer: ai.ID.String(), Reason: "address " + r.Target + " banned: " + r.Reason, Until: r.Until}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PeerTimeout)
	defer cancel()
	if err := n.host.Connect(ctx, *ai); err != nil {
		return fmt.Errorf("p2p: connect %s: %w", ai.ID, err)
	}
	n.dialer.add(*ai, true)
	return nil
}

// DisconnectNode closes every connection to the peer with the given ID and
// stops reconnecting to it.
func (n *Node) DisconnectNode(id string) error {
	if err := n.usable(); err != nil {
		return err
	}
	p, err := peer.Decode(id)
	if err != nil {
		return fmt.Errorf("p2p: peer id %q: %w", id, err)
	}
	n.dialer.remove(p)
	if len(n.host.Network().ConnsToPeer(p)) == 0 {
		return ErrNotConnected
	}
	return n.host.Network().ClosePeer(p)
}

func (n *Node) usable() error {
	if n.closed.Load() {
		return ErrClosed
	}
	if !n.started.Load() {
		return ErrNotStarted
	}
	return nil
}

// onChainEvent runs on the chain's goroutine: it only flags the tip change.
func (n *Node) onChainEvent(ev chain.Event) {
	if n.closed.Load() || ev.Kind != chain.BlockConnected {
		return
	}
	select {
	case n.tipCh <- struct{}{}:
	default:
	}
}
