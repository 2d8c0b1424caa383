package node

import (
	"context"
	"log/slog"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
)

// services holds the parts started around the chain.
type services struct {
	closers []func(context.Context) error
}

func startServices(ctx context.Context, cancel context.CancelFunc, cfg Config, ch *chain.Chain, log *slog.Logger) (*services, error) {
	return &services{}, nil
}

func (s *services) templateSource() miner.TxSource { return nil }

func (s *services) close(ctx context.Context) error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}
