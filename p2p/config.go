package p2p

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/wire"
)

// Config configures a Node. Params, Chain and Mempool are required; zero
// values of the other fields select the documented defaults.
type Config struct {
	Params *consensus.Params
	// DataDir holds p2p.key (the persistent identity), peers.json (peers
	// that completed a handshake) and bans.json (active bans). Empty means
	// an ephemeral identity and neither file.
	DataDir string
	// Listen multiaddrs; default DefaultListen(Params).
	Listen []string
	// Announce, if set, replaces the addresses the node tells peers to
	// dial (identify, getnetworkinfo): e.g. a proxy in front of Listen.
	Announce []string
	// Peers are static peers (full multiaddrs with /p2p/<id>), kept connected
	// with exponential backoff.
	Peers []string
	// Bootstrap peers seed the DHT; with none the DHT only serves others and
	// the node does not look for peers through it.
	Bootstrap []string
	// MDNS enables LAN discovery, which sends multicast. Off by default.
	MDNS    bool
	Logger  *slog.Logger
	Chain   ChainAPI
	Mempool MempoolAPI
	// LowWater and HighWater bound connections (defaults 32 and 64).
	LowWater, HighWater int
	// ResourceMemory is the memory the libp2p resource manager lets
	// connections and streams reserve, from which its connection, stream
	// and file limits scale. 0 means libp2p's autoscale (an eighth of the
	// machine's memory); a small local node passes its own budget, and at
	// 128 MiB or less libp2p's base limits apply (128 connections, 2048
	// streams, 128 MiB).
	ResourceMemory int64
	// BanDuration is how long a misbehaving peer is refused (default 10m).
	BanDuration time.Duration
	// ScoreThreshold: a peer whose score falls below it is disconnected and
	// banned (default -100; must be negative).
	ScoreThreshold float64
	// SyncWindow caps blocks requested but not yet processed (default 128).
	SyncWindow int
	// Preverify, if set, is given the blocks a sync is about to process,
	// in height order and several at once, before they are processed; it
	// runs on its own goroutine while the previous ones are processed. The
	// node wires the chain's Preverify here: it batch-verifies their
	// signatures into the signature cache ProcessBlock consults. It must
	// not decide anything: ProcessBlock still rules on every block.
	Preverify func(blocks []*consensus.Block)
	// PeerTimeout bounds every request to a peer (default 20s).
	PeerTimeout time.Duration
	// StatusInterval is how often status is re-exchanged with every peer
	// (default 30s); it is also re-sent shortly after each tip change.
	StatusInterval time.Duration

	// headersBatch is how many headers sync asks for at once (default and
	// maximum wire.MaxHeadersPerRequest); tests lower it to cross batch
	// boundaries with short chains.
	headersBatch int
	// presyncKeep and presyncCommitEvery size header pre-sync (defaults
	// defaultPresyncKeep and defaultCommitEvery); tests lower them to
	// cross the re-download path with short chains.
	presyncKeep, presyncCommitEvery int
	// uploadBurst and uploadRate size the per-address budget for
	// unsolicited upload (defaults uploadBurstDefault, uploadRateDefault).
	uploadBurst, uploadRate float64
}

// Defaults applied by New.
const (
	DefaultLowWater       = 32
	DefaultHighWater      = 64
	DefaultBanDuration    = 10 * time.Minute
	DefaultScoreThreshold = -100
	DefaultSyncWindow     = 128
	DefaultPeerTimeout    = 20 * time.Second
	DefaultStatusInterval = 30 * time.Second
)

func (c *Config) setDefaults() error {
	if c.Params == nil {
		return ConfigError{"Params", "required"}
	}
	if c.Chain == nil {
		return ConfigError{"Chain", "required"}
	}
	if c.Mempool == nil {
		return ConfigError{"Mempool", "required"}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.Listen) == 0 {
		c.Listen = DefaultListen(c.Params)
	}
	if c.LowWater <= 0 {
		c.LowWater = DefaultLowWater
	}
	if c.HighWater <= 0 {
		c.HighWater = DefaultHighWater
	}
	if c.ResourceMemory < 0 {
		return ConfigError{"ResourceMemory", "must not be negative"}
	}
	if c.HighWater < c.LowWater {
		return ConfigError{"HighWater", fmt.Sprintf("%d below LowWater %d", c.HighWater, c.LowWater)}
	}
	if c.BanDuration <= 0 {
		c.BanDuration = DefaultBanDuration
	}
	if c.ScoreThreshold == 0 {
		c.ScoreThreshold = DefaultScoreThreshold
	}
	if c.ScoreThreshold > 0 {
		return ConfigError{"ScoreThreshold", "must be negative"}
	}
	if c.SyncWindow <= 0 {
		c.SyncWindow = DefaultSyncWindow
	}
	if c.SyncWindow < wire.MaxBlocksPerRequest {
		c.SyncWindow = wire.MaxBlocksPerRequest
	}
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = DefaultPeerTimeout
	}
	if c.StatusInterval <= 0 {
		c.StatusInterval = DefaultStatusInterval
	}
	if c.headersBatch <= 0 || c.headersBatch > wire.MaxHeadersPerRequest {
		c.headersBatch = wire.MaxHeadersPerRequest
	}
	if c.uploadBurst <= 0 {
		c.uploadBurst = uploadBurstDefault
	}
	if c.uploadRate <= 0 {
		c.uploadRate = uploadRateDefault
	}
	if c.presyncKeep <= 0 {
		c.presyncKeep = defaultPresyncKeep
	}
	if c.presyncCommitEvery <= 0 {
		c.presyncCommitEvery = defaultCommitEvery
	}
	return nil
}

// DefaultListen is where a node listens unless told otherwise: on the public
// networks (main and test) every interface (IPv4 and IPv6, TCP and QUIC), as
// bitcoind does, since a public node must be reachable; on regtest and
// custom (local testnet) networks loopback only, so they never leave the
// machine.
func DefaultListen(p *consensus.Params) []string {
	port := p.DefaultP2PPort
	if p.Name == "main" || p.Name == "test" {
		return []string{
			fmt.Sprintf("/ip4/0.0.0.0/tcp/%d", port),
			fmt.Sprintf("/ip4/0.0.0.0/udp/%d/quic-v1", port),
			fmt.Sprintf("/ip6/::/tcp/%d", port),
			fmt.Sprintf("/ip6/::/udp/%d/quic-v1", port),
		}
	}
	return []string{
		fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port),
		fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", port),
	}
}
