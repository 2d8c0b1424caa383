// Package node wires chain, mempool, miner, RPC, wallet and P2P into one
// running full node. It owns lifecycles and nothing else: every rule and
// every protocol lives in its own package.
package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
)

// Config is everything `cairn node` can be told.
type Config struct {
	Params       *consensus.Params
	DataDir      string
	Logger       *slog.Logger
	Mine         bool
	MinerAddress consensus.Address
	MineThreads  int
	VerifyBlocks int
	RPCAddr      string
	RPCUser      string
	RPCPassword  string
	Listen       []string
	Announce     []string
	Peers        []string
	Bootstrap    []string
	NoP2P        bool
	MDNS         string
	MetricsAddr  string
	// SigCacheMB bounds the signature cache shared by the mempool and
	// block checks, in MiB; 0 or less disables it.
	SigCacheMB int
	// HTTPAddr, if set, serves the block explorer there (see web.go).
	HTTPAddr string
	// MemLimit is the Go runtime's soft memory limit in bytes (0: leave it
	// to GOMEMLIMIT). The libp2p resource manager is sized from it too.
	MemLimit int64
	// MaxPeers is the connection manager's high watermark (0: p2p default);
	// connections above it are trimmed to half of it.
	MaxPeers int
	// MineDuty is the share of each second the background miner hashes
	// (0 or 1: all the time). A local testnet sets it so several miners on
	// one machine leave CPU for block verification.
	MineDuty float64
	// StatusEvery is how often an idle node logs its one-line status (0:
	// never).
	StatusEvery time.Duration
}

// Run starts the node and blocks until ctx is cancelled (SIGINT/SIGTERM) or
// an RPC "stop", then shuts every part down in reverse order.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if cfg.MemLimit > 0 {
		debug.SetMemoryLimit(cfg.MemLimit)
	} else if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		cfg.MemLimit = l // GOMEMLIMIT: size the rest from it too
	}
	removePID, err := writePIDFile(cfg.DataDir)
	if err != nil {
		return err
	}
	defer removePID()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	met := newMetrics()
	var sigs *sigcache.Cache
	if cfg.SigCacheMB > 0 {
		size := int64(cfg.SigCacheMB) << 20
		if cfg.MemLimit > 0 {
			// Under a memory limit the cache (counted as live heap even
			// where untouched) gets at most a sixteenth of it, as the
			// mempool gets an eighth.
			size = max(min(size, cfg.MemLimit/16), 1<<20)
		}
		var err error
		if sigs, err = sigcache.New(int(size), nil); err != nil {
			return err
		}
	}
	// One batch verifier for blocks and mempool batches: a key the pool
	// lifted is already lifted when its block arrives, and the metrics see
	// all signature work in one place.
	verifier := consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader})
	ch, err := chain.Open(chain.Config{
		Dir: filepath.Join(cfg.DataDir, "chain"), Params: cfg.Params,
		Logger: log.With("component", "chain"), NoSync: true, Observer: met,
		SigCache: sigs, Verifier: verifier,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := ch.Close(); err != nil {
			log.Error("close chain", "err", err)
		}
	}()
	if err := ch.VerifyBlocks(cfg.VerifyBlocks); err != nil {
		return fmt.Errorf("startup check of the last %d blocks failed: %w", cfg.VerifyBlocks, err)
	}
	tip := ch.Tip()
	log.Info("node starting", "network", cfg.Params.Name, "datadir", cfg.DataDir, "height", tip.Height, "tip", tip.Hash,
		"pid", os.Getpid(), "mem_limit", memLimitString(), "mempool_max_bytes", mempoolBytes(cfg.MemLimit))

	svc, err := startServices(ctx, cancel, cfg, ch, sigs, verifier, met, log)
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := svc.close(shutdownCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("shutdown", "err", err)
		}
	}()
	var wg sync.WaitGroup
	if cfg.Mine {
		mcfg := miner.Config{
			Chain: ch, Source: svc.templateSource(), Address: cfg.MinerAddress,
			Threads: cfg.MineThreads, Logger: log.With("component", "miner"), OnBlock: svc.announceBlock,
		}
		if cfg.Params.NoRetarget {
			mcfg.Pace = time.Duration(cfg.Params.TargetSpacing) * time.Second
		}
		m := miner.New(mcfg)
		met.gauge("cairn_miner_hashes", "Header hashes tried by the background miner.", func() float64 { return float64(m.Hashes()) })
		wg.Add(1)
		go func() { defer wg.Done(); runMiner(ctx, m, mcfg, cfg.MineDuty) }()
	}
	if cfg.StatusEvery > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); svc.statusLoop(ctx, cfg.StatusEvery, ch, log) }()
	}
	<-ctx.Done()
	log.Info("shutting down")
	wg.Wait()
	log.Info("stopped")
	return nil
}
