package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/mempool"
)

// services holds the parts started around the chain, closed in reverse order.
type services struct {
	pool    *mempool.Pool
	closers []func(context.Context) error
}

func startServices(ctx context.Context, cancel context.CancelFunc, cfg Config, ch *chain.Chain, log *slog.Logger) (*services, error) {
	s := &services{}
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
