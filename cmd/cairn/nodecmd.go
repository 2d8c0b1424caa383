package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/cmd/cairn/internal/node"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p"
	"github.com/spf13/cobra"
)

// maxSigCacheMB keeps a typo in --sigcache-mb from allocating the machine.
const maxSigCacheMB = 16 << 10

func newNodeCmd() *cobra.Command {
	var (
		network, genesis, dataDir, configFile string
		minerAddr, logLevel, logFormat        string
		cfg                                   node.Config
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a full node",
		Long: `Run a Cairn full node: validate and store the chain, serve JSON-RPC,
optionally mine. Settings can also come from a config file (key = value per
line, keys are flag names), by default <datadir>/cairn.conf. CAIRN_NETWORK,
CAIRN_GENESIS and CAIRN_DATADIR set the flags of the same name; the command
line wins over the environment, which wins over the config file.`,
		Example: `  cairn node                                   # main network in ~/.cairn/main
  cairn node --network regtest --datadir /tmp/rt --mdns off
  cairn node --network regtest --mine --miner-address rcairn1...
  cairn node --network regtest --http 127.0.0.1:8080     # block explorer at http://127.0.0.1:8080/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			// Precedence: command line, then environment, then config file.
			if err := applyEnv(flags, 3); err != nil {
				return err
			}
			if configFile != "" {
				if err := applyConfigFile(configFile, flags, true); err != nil {
					return err
				}
			}
			params, err := loadParams(network, genesis)
			if err != nil {
				return err
			}
			if dataDir == "" {
				dataDir = defaultDataDir(params.Name)
			}
			if configFile == "" {
				if err := applyConfigFile(filepath.Join(dataDir, "cairn.conf"), flags, false); err != nil {
					return err
				}
				// The config file may have changed the network.
				if params, err = loadParams(network, genesis); err != nil {
					return err
				}
			}
			logger, err := newLogger(logLevel, logFormat)
			if err != nil {
				return err
			}
			if cfg.SigCacheMB < 0 || cfg.SigCacheMB > maxSigCacheMB {
				return fmt.Errorf("--sigcache-mb must be between 0 (off) and %d, not %d", maxSigCacheMB, cfg.SigCacheMB)
			}
			cfg.Params, cfg.DataDir, cfg.Logger = params, dataDir, logger
			if cfg.StatusEvery < 0 {
				return fmt.Errorf("--status-interval %s: must be 0 (off) or positive", cfg.StatusEvery)
			}
			if cfg.Mine {
				if minerAddr == "" {
					return fmt.Errorf("--mine needs --miner-address (get one with `cairn wallet address`)")
				}
				a, err := consensus.DecodeAddress(minerAddr, params.AddressHRP)
				if err != nil {
					return fmt.Errorf("--miner-address: %w", err)
				}
				cfg.MinerAddress = a
			}
			return node.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	netChoice := newChoice(&network, "main", "main", "test", "regtest")
	netChoice.aliases = map[string]string{"mainnet": "main", "testnet": "test"}
	f.Var(netChoice, "network", "network (env CAIRN_NETWORK)")
	f.StringVar(&genesis, "genesis", "", "custom network genesis spec, a JSON file as written by cairn testnet (env CAIRN_GENESIS)")
	f.StringVar(&dataDir, "datadir", "", "data directory (default ~/.cairn/<network>; env CAIRN_DATADIR)")
	f.StringVar(&configFile, "config", "", "config file (default <datadir>/cairn.conf if it exists)")
	f.BoolVar(&cfg.Mine, "mine", false, "mine blocks")
	f.StringVar(&minerAddr, "miner-address", "", "address paid by mined blocks")
	f.Var(newIntRange(&cfg.MineThreads, max(1, runtime.NumCPU()/2), 1, 1024), "mine-threads", "mining goroutines")
	f.Var(newFraction(&cfg.MineDuty, 1), "mine-duty", "share of each second the miner hashes, e.g. 0.25 so miners leave CPU for verification (1: always; the proof of work is real either way)")
	f.Var(newIntRange(&cfg.VerifyBlocks, 6, 0, 1_000_000), "verify-blocks", "re-verify the last N blocks at startup")
	f.StringVar(&cfg.RPCAddr, "rpc-addr", "", "JSON-RPC listen address (default 127.0.0.1:<network port>)")
	f.StringVar(&cfg.RPCUser, "rpc-user", "", "JSON-RPC user (default: cookie auth)")
	f.StringVar(&cfg.RPCPassword, "rpc-password", "", "JSON-RPC password")
	f.StringSliceVar(&cfg.Listen, "listen", nil, "P2P listen multiaddrs (default: all interfaces, TCP and QUIC on the network port, on main and test; 127.0.0.1 on regtest and custom networks)")
	f.StringSliceVar(&cfg.Announce, "announce", nil, "P2P multiaddrs told to peers instead of the listen addresses (e.g. a proxy in front of --listen)")
	f.StringSliceVar(&cfg.Peers, "peer", nil, "peer multiaddr to connect to (repeatable)")
	f.StringSliceVar(&cfg.Bootstrap, "bootstrap", nil, "DHT bootstrap peer multiaddr (repeatable)")
	f.BoolVar(&cfg.NoP2P, "no-p2p", false, "run without networking")
	f.Var(newChoice(&cfg.MDNS, "auto", "on", "off", "auto"), "mdns", "LAN discovery by mDNS (auto: on for test/regtest)")
	f.Var(newIntRange(&cfg.MaxPeers, p2p.DefaultHighWater, 1, 10_000), "max-peers", "connections kept; above it the node trims to half")
	f.Var(&sizeValue{&cfg.MemLimit}, "mem-limit", "soft memory limit, e.g. 48MiB (default: GOMEMLIMIT, else none); also sizes libp2p's resource limits and the mempool")
	f.DurationVar(&cfg.StatusEvery, "status-interval", time.Minute, "log a one-line status (height, peers, mempool) this often; 0 turns it off")
	f.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address (e.g. 127.0.0.1:9100)")
	f.IntVar(&cfg.SigCacheMB, "sigcache-mb", sigcache.DefaultMaxBytes>>20, "memory for the cache of verified signatures shared by mempool and block checks, MiB (0 = off; at most a sixteenth of --mem-limit)")
	f.StringVar(&cfg.HTTPAddr, "http", "", "serve the block explorer on this address (e.g. 127.0.0.1:8080; a non-loopback address needs --rpc-user/--rpc-password)")
	f.Var(newChoice(&logLevel, "info", "debug", "info", "warn", "error"), "log-level", "log verbosity")
	f.Var(newChoice(&logFormat, "text", "text", "json"), "log-format", "log format on stderr")
	return cmd
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}
