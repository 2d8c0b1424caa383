package node

import (
	"fmt"
	"log/slog"

	"github.com/cairn-chain/cairn/cmd/cairn/internal/explorer"
	"github.com/cairn-chain/cairn/rpc"
	"github.com/prometheus/client_golang/prometheus"
)

// newHub builds the websocket notification hub and exports its counters.
func newHub(cfg Config, met *metrics, log *slog.Logger) *rpc.Hub {
	hub := rpc.NewHub(rpc.HubConfig{Params: cfg.Params, Logger: log})
	met.gauge("cairn_ws_clients", "Open websocket connections (RPC and explorer).", func() float64 { return float64(hub.Stats().Clients) })
	met.gauge("cairn_ws_subscriptions", "Active websocket subscriptions.", func() float64 { return float64(hub.Stats().Subscriptions) })
	met.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cairn_ws_notifications_total", Help: "Notifications queued to websocket clients."},
			func() float64 { return float64(hub.Stats().Sent) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cairn_ws_dropped_total", Help: "Websocket clients dropped for being too slow."},
			func() float64 { return float64(hub.Stats().Dropped) }))
	return hub
}

// startExplorer serves the block explorer on --http, over the RPC server's
// read-only interface.
func (s *services) startExplorer(cfg Config, log *slog.Logger) error {
	if cfg.HTTPAddr == "" {
		return nil
	}
	ex, err := explorer.New(explorer.Config{
		Addr: cfg.HTTPAddr, API: s.rpc.PublicHandler(), Authorized: s.rpc.Authorized,
		Credentials: cfg.RPCUser != "", Logger: log,
	})
	if err != nil {
		return err
	}
	if err := ex.Start(); err != nil {
		return fmt.Errorf("start explorer: %w", err)
	}
	s.closers = append(s.closers, ex.Shutdown)
	return nil
}
