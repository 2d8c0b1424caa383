package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/p2p"
	"github.com/cairn-chain/cairn/rpc"
	"github.com/cairn-chain/cairn/wallet"
)

// services holds the parts started around the chain, closed in reverse order.
type services struct {
	net     *p2p.Node // nil with --no-p2p
	pool    *mempool.Pool
	miner   *miner.Miner // for generatetoaddress; background mining has its own
	rpc     *rpc.Server
	hub     *rpc.Hub // websocket notifications
	closers []func(context.Context) error
}

func startServices(ctx context.Context, cancel context.CancelFunc, cfg Config, ch *chain.Chain, sigs *sigcache.Cache, verifier *consensus.BatchVerifier, met *metrics, log *slog.Logger) (*services, error) {
	s := &services{}
	ok := false
	defer func() {
		if !ok { // a failed start must not leave listeners or files behind
			_ = s.close(context.Background())
		}
	}()
	s.hub = newHub(cfg, met, log)
	s.pool = mempool.New(mempool.Config{
		Params: cfg.Params, State: ch, Logger: log, // mempool, p2p and rpc name themselves in their logs
		MaxBytes: mempoolBytes(cfg.MemLimit),
		SigCache: sigs, // shared with the chain: blocks skip what the pool verified
		Verifier: verifier,
		// Every accepted tx (RPC, wallet or relayed) goes out the same way;
		// peers drop copies of what they already have.
		OnAccept: func(tx *consensus.Tx) { s.announceTx(tx); s.hub.TxAccepted(tx) },
	})
	ch.Subscribe(func(ev chain.Event) {
		switch ev.Kind {
		case chain.BlockConnected:
			s.pool.BlockConnected(ev.Block)
		case chain.BlockDisconnected:
			s.pool.BlockDisconnected(ev.Block)
			// Txs of a block reorged out are back in the pool: re-announce
			// them so peers that never saw them (the winning side) mine them.
			var back []*consensus.Tx
			for _, tx := range ev.Block.Txs[1:] {
				if s.pool.Has(tx.ID()) {
					back = append(back, tx)
					s.announceTx(tx)
				}
			}
			if s.net != nil {
				s.net.PushTxs(back)
			}
		}
	})
	ch.Subscribe(s.hub.ChainEvent) // after the pool: a client told of a block sees the pool without its txs
	loadMempool(s.pool, cfg.DataDir, log)
	// Registered first, so it runs last: after P2P and RPC stopped adding.
	s.closers = append(s.closers, func(context.Context) error { return saveMempool(s.pool, cfg.DataDir, log) })
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n := s.pool.Expire(); n > 0 {
					log.Info("expired mempool txs", "count", n)
				}
			}
		}
	}()
	s.miner = miner.New(miner.Config{Chain: ch, Source: s.pool, Threads: cfg.MineThreads, Logger: log.With("component", "miner"), OnBlock: s.announceBlock})

	var network rpc.NetworkAPI
	if !cfg.NoP2P {
		mdns := cfg.MDNS == "on" || (cfg.MDNS == "auto" && (cfg.Params.Name == "test" || cfg.Params.Name == "regtest"))
		if cfg.MDNS != "on" && cfg.MDNS != "off" && cfg.MDNS != "auto" {
			return nil, fmt.Errorf("--mdns must be on, off or auto, not %q", cfg.MDNS)
		}
		pc := p2p.Config{
			Params: cfg.Params, DataDir: cfg.DataDir, Listen: cfg.Listen, Announce: cfg.Announce, Peers: cfg.Peers,
			Bootstrap: cfg.Bootstrap, MDNS: mdns, Logger: log,
			Chain: ch, Mempool: s.pool, ResourceMemory: cfg.MemLimit / 4,
			// Sync verifies the next blocks' signatures into the shared
			// cache while the current ones connect.
			Preverify: func(bs []*consensus.Block) { ch.Preverify(bs) },
		}
		if cfg.MaxPeers > 0 {
			pc.HighWater, pc.LowWater = cfg.MaxPeers, max(1, cfg.MaxPeers/2)
		}
		n, err := p2p.New(ctx, pc)
		if err != nil {
			return nil, err
		}
		// Set before Start: sync may deliver chain events at once.
		s.net = n
		s.closers = append(s.closers, func(context.Context) error { return n.Close() })
		if err := n.Start(); err != nil {
			listen := cfg.Listen
			if len(listen) == 0 {
				listen = p2p.DefaultListen(cfg.Params)
			}
			return nil, portInUse(err, "P2P", strings.Join(listen, ", "), "--listen /ip4/127.0.0.1/tcp/<port>")
		}
		network = rpcNetwork{n}
		met.watchNetwork(n)
		log.Info("p2p listening", "peer_id", n.ID(), "addrs", n.Addrs())
	}

	wl := rpc.NewWalletLoader(wallet.Config{
		Dir: filepath.Join(cfg.DataDir, "wallet"), Params: cfg.Params, Logger: log.With("component", "wallet"),
	})
	s.closers = append(s.closers, func(context.Context) error { return wl.Close() })
	go rebroadcast(ctx, wl, ch, s.pool, log.With("component", "wallet"))
	srv, err := rpc.New(rpc.Config{
		Addr: cfg.RPCAddr, DataDir: cfg.DataDir, User: cfg.RPCUser, Password: cfg.RPCPassword,
		Logger: log, Observe: met.rpcObserve, Hub: s.hub,
		Backend: rpc.Backend{
			Params: cfg.Params, Chain: relayChain{ch, s.announceBlock}, Mempool: s.pool, Miner: s.miner, Wallet: wl,
			Network: network,
			Mining:  cfg.Mine, MinerThreads: cfg.MineThreads, Stop: cancel, StartTime: time.Now(),
			ChainDir: filepath.Join(cfg.DataDir, "chain"),
		},
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, portInUse(fmt.Errorf("start RPC server: %w", err), "RPC", cmp.Or(cfg.RPCAddr, fmt.Sprintf("127.0.0.1:%d", cfg.Params.DefaultRPCPort)), "--rpc-addr 127.0.0.1:<port>")
	}
	s.rpc = srv
	s.closers = append(s.closers, srv.Shutdown)
	if err := s.startExplorer(cfg, log); err != nil {
		return nil, err
	}

	met.watchChain(ch)
	met.watchMempool(s.pool)
	met.watchCaches(verifier, sigs, ch)
	if cfg.MetricsAddr != "" {
		stop, err := met.serve(ctx, cfg.MetricsAddr, log)
		if err != nil {
			return nil, portInUse(fmt.Errorf("metrics listener: %w", err), "metrics", cfg.MetricsAddr, "--metrics-addr 127.0.0.1:<port>")
		}
		s.closers = append(s.closers, stop)
	}
	ok = true
	return s, nil
}

// mempoolBytes sizes the mempool from the memory limit: an eighth of it
// (a pool's heap is a few times its encoded bytes), between 4 MiB and the
// pool's default; no limit keeps the default.
func mempoolBytes(memLimit int64) int {
	if memLimit <= 0 {
		return mempool.DefaultMaxBytes
	}
	return int(min(max(memLimit/8, 4<<20), mempool.DefaultMaxBytes))
}

// portInUse turns "address already in use" into what to do about it:
// which port, the likely cause, and the flag that moves it.
func portInUse(err error, what, addr, flag string) error {
	if !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") {
		return err
	}
	return fmt.Errorf("%s port in use: %s is taken by another program (another cairn node with the same network?); "+
		"stop it, or give this node another port with %s (underlying error: %w)", what, addr, flag, err)
}

func (s *services) announceTx(tx *consensus.Tx) {
	if s.net != nil {
		_ = s.net.BroadcastTx(tx) // a full queue is counted in p2p stats
	}
}

func (s *services) announceBlock(b *consensus.Block) {
	if s.net != nil {
		_ = s.net.BroadcastBlock(b)
	}
}

func (s *services) templateSource() miner.TxSource { return s.pool }

func (s *services) close(ctx context.Context) error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}
