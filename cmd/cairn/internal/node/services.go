package node

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/rpc"
	"github.com/cairn-chain/cairn/wallet"
)

// services holds the parts started around the chain, closed in reverse order.
type services struct {
	pool    *mempool.Pool
	miner   *miner.Miner // for generatetoaddress; background mining has its own
	rpc     *rpc.Server
	closers []func(context.Context) error
}

func startServices(ctx context.Context, cancel context.CancelFunc, cfg Config, ch *chain.Chain, met *metrics, log *slog.Logger) (*services, error) {
	s := &services{}
	ok := false
	defer func() {
		if !ok { // a failed start must not leave listeners or files behind
			_ = s.close(context.Background())
		}
	}()
	s.pool = mempool.New(mempool.Config{
		Params: cfg.Params, State: ch, Logger: log.With("component", "mempool"),
	})
	ch.Subscribe(func(ev chain.Event) {
		switch ev.Kind {
		case chain.BlockConnected:
			s.pool.BlockConnected(ev.Block)
		case chain.BlockDisconnected:
			s.pool.BlockDisconnected(ev.Block)
		}
	})
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
	s.miner = miner.New(miner.Config{Chain: ch, Source: s.pool, Threads: cfg.MineThreads, Logger: log.With("component", "miner")})

	wl := rpc.NewWalletLoader(wallet.Config{
		Dir: filepath.Join(cfg.DataDir, "wallet"), Params: cfg.Params, Logger: log.With("component", "wallet"),
	})
	s.closers = append(s.closers, func(context.Context) error { return wl.Close() })
	srv, err := rpc.New(rpc.Config{
		Addr: cfg.RPCAddr, DataDir: cfg.DataDir, User: cfg.RPCUser, Password: cfg.RPCPassword,
		Logger: log.With("component", "rpc"), Observe: met.rpcObserve,
		Backend: rpc.Backend{
			Params: cfg.Params, Chain: ch, Mempool: s.pool, Miner: s.miner, Wallet: wl,
			Mining: cfg.Mine, MinerThreads: cfg.MineThreads, Stop: cancel, StartTime: time.Now(),
		},
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start RPC server: %w", err)
	}
	s.rpc = srv
	s.closers = append(s.closers, srv.Shutdown)

	met.watchChain(ch)
	met.watchMempool(s.pool)
	if cfg.MetricsAddr != "" {
		stop, err := met.serve(ctx, cfg.MetricsAddr, log)
		if err != nil {
			return nil, fmt.Errorf("metrics listener: %w", err)
		}
		s.closers = append(s.closers, stop)
	}
	ok = true
	return s, nil
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
