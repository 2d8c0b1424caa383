package p2p

import (
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// connGrace protects new connections from the connection manager's trimming
// long enough for the handshake and a first sync request.
const connGrace = time.Minute

// resourceFDs is the file descriptors a node with its own ResourceMemory
// budget lets libp2p use (autoscale takes half the process limit).
const resourceFDs = 512

// newHost builds a libp2p host that does not listen yet (Start does, after
// the handlers are in place). Everything that would reach beyond the
// configured peers is off: relays, NAT port mapping, hole punching, AutoNAT
// probes and observed-address discovery.
func newHost(cfg *Config, key crypto.PrivKey, g *peers.Gater, bw *metrics.BandwidthCounter) (host.Host, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	scaled := limits.AutoScale()
	if cfg.ResourceMemory > 0 {
		scaled = limits.Scale(cfg.ResourceMemory, resourceFDs)
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(scaled))
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(cfg.LowWater, cfg.HighWater, connmgr.WithGracePeriod(connGrace))
	if err != nil {
		return nil, fmt.Errorf("p2p: connection manager: %w", err)
	}
	var announce []ma.Multiaddr
	for _, s := range cfg.Announce {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, ConfigError{"Announce", err.Error()}
		}
		announce = append(announce, a)
	}
	addrsFactory := func(addrs []ma.Multiaddr) []ma.Multiaddr {
		if len(announce) > 0 {
			return announce
		}
		return addrs
	}
	h, err := libp2p.New(
		libp2p.Identity(key),
		libp2p.AddrsFactory(addrsFactory),
		libp2p.NoListenAddrs,
		// No SO_REUSEPORT: it only helps hole punching (off here), and with
		// it a second node on the same machine would silently share our
		// port instead of failing to start with "address already in use".
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
		libp2p.Transport(quic.NewTransport),
		libp2p.QUICReuse(quicreuse.NewConnManager, quicreuse.DisableReuseport()),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionGater(g),
		libp2p.BandwidthReporter(bw),
		libp2p.DisableRelay(),
		// A forced reachability makes AutoNAT static: it never probes.
		libp2p.ForceReachabilityPrivate(),
		libp2p.DisableIdentifyAddressDiscovery(),
		// Several nodes share a process in tests; the global Prometheus
		// registry would collide.
		libp2p.DisableMetrics(),
		libp2p.UserAgent(fmt.Sprintf("cairn/%d", wire.ProtocolVersion)),
	)
	if err != nil {
		_ = rm.Close()
		return nil, fmt.Errorf("p2p: libp2p host: %w", err)
	}
	return h, nil
}
