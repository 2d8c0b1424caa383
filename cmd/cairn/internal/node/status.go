package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/rpc"
)

// statusLoop logs one line every `every` so a person reading the log of an
// idle node sees it is alive and where it is (bitcoind's UpdateTip lines
// only appear when blocks arrive).
func (s *services) statusLoop(ctx context.Context, every time.Duration, ch *chain.Chain, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tip := ch.Tip()
			known, peers := max(tip.Height, ch.BestHeader().Height), 0
			if s.net != nil {
				peers = s.net.ConnectionCount()
				for _, p := range s.net.Peers() {
					known = max(known, p.BestHeight)
				}
			}
			log.Info("status", "height", tip.Height, "headers", known, "peers", peers,
				"mempool_txs", s.pool.Count(), "mempool_bytes", s.pool.Bytes(),
				"ibd", rpc.InitialBlockDownload(ch.Params(), tip.Height, known, tip.ChainWork),
				"tip_age", time.Since(time.Unix(tip.Header.Timestamp, 0)).Round(time.Second))
		}
	}
}

// dutyPeriod is the miner's on/off cycle under a duty below 1. Longer than
// a second so each burst starts with a new header timestamp and never
// repeats the nonces of the previous one.
const dutyPeriod = 1100 * time.Millisecond

// runMiner mines in the background. With duty in (0, 1) it hashes for that
// share of each period and sleeps for the rest: the proof of work is real,
// only slower, so several miners on one small machine leave CPU for the
// verification every node does.
func runMiner(ctx context.Context, m *miner.Miner, cfg miner.Config, duty float64) {
	if duty <= 0 || duty >= 1 {
		m.Run(ctx)
		return
	}
	on := time.Duration(float64(dutyPeriod) * duty)
	cfg.Logger.Info("miner started", "threads", cfg.Threads, "duty", duty)
	for ctx.Err() == nil {
		burst, cancel := context.WithTimeout(ctx, on)
		h, err := m.MineOne(burst, cfg.Address)
		cancel()
		switch {
		case err == nil:
			cfg.Logger.Info("mined block", "hash", h, "height", cfg.Chain.Tip().Height)
			wait(ctx, cfg.Pace)
		case ctx.Err() != nil:
		case errors.Is(err, context.DeadlineExceeded):
			wait(ctx, dutyPeriod-on)
		default:
			cfg.Logger.Warn("mining round failed", "err", err)
			wait(ctx, time.Second)
		}
	}
	cfg.Logger.Info("miner stopped")
}

func wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// PIDFile is the node's process id inside its data dir while it runs, so a
// node whose RPC cookie was deleted can still be stopped cleanly:
// `kill $(cat DATADIR/cairn.pid)` sends SIGTERM.
const PIDFile = "cairn.pid"

func writePIDFile(dir string) (remove func(), err error) {
	path := filepath.Join(dir, PIDFile)
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write pid file: %w", err)
	}
	return func() { _ = os.Remove(path) }, nil
}

func memLimitString() string {
	l := debug.SetMemoryLimit(-1)
	if l == math.MaxInt64 {
		return "none"
	}
	return FormatSize(l)
}

// ParseSize reads a byte size: a plain number of bytes or one with a KiB,
// MiB or GiB suffix (as GOMEMLIMIT).
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || v*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 48MiB, 1GiB or a number of bytes)", s)
	}
	return int64(v * float64(mult)), nil
}

// FormatSize prints a byte size the way ParseSize reads it.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return strconv.FormatInt(n, 10)
}
