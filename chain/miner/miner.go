package miner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

// Config configures a Miner.
type Config struct {
	Chain   Chain
	Source  TxSource // may be nil: blocks then carry only the coinbase
	Address consensus.Address
	Threads int
	Logger  *slog.Logger
	Now     func() time.Time
	// RoundTries is nonces per thread between template refreshes (default 2^18).
	RoundTries uint64
	// Refresh rebuilds the template after this long so new txs get in (default 2s).
	Refresh time.Duration
	// Pace makes Run wait this long after each block. Networks without
	// retargeting (regtest) solve instantly and would otherwise mine
	// thousands of blocks a second; Generate is never paced.
	Pace time.Duration
	// OnBlock, if set, is called with every block this miner got accepted,
	// so the node can announce it to peers.
	OnBlock func(*consensus.Block)
}

// Miner mines blocks on the chain tip.
type Miner struct {
	cfg    Config
	hashes atomic.Uint64
	found  atomic.Uint64
	mu     sync.Mutex // one search at a time: background mining and generate
	work   *work      // the template being mined, kept across calls (under mu)
}

// work is a template and what mining it needs between rounds. A duty-cycled
// miner calls MineOne once per burst; rebuilding a template of thousands of
// txs every burst spent a large share of each burst before any hashing.
type work struct {
	blk    *consensus.Block
	built  time.Time
	branch []consensus.Hash // the coinbase's merkle branch
	extra  uint64
}

// New returns a Miner; call Run to mine in the background or Generate for a
// fixed number of blocks.
func New(cfg Config) *Miner {
	if cfg.Threads < 1 {
		cfg.Threads = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RoundTries == 0 {
		cfg.RoundTries = 1 << 18
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = 2 * time.Second
	}
	return &Miner{cfg: cfg}
}

// Hashes returns the number of header hashes tried so far.
func (m *Miner) Hashes() uint64 { return m.hashes.Load() }

// BlocksFound returns how many blocks this miner solved and had accepted.
func (m *Miner) BlocksFound() uint64 { return m.found.Load() }

// Run mines to cfg.Address until ctx ends.
func (m *Miner) Run(ctx context.Context) {
	m.cfg.Logger.Info("miner started", "threads", m.cfg.Threads)
	for ctx.Err() == nil {
		h, err := m.MineOne(ctx, m.cfg.Address)
		if err != nil {
			if ctx.Err() == nil {
				m.cfg.Logger.Warn("mining round failed", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		m.cfg.Logger.Info("mined block", "hash", h, "height", m.cfg.Chain.Tip().Height)
		if m.cfg.Pace > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(m.cfg.Pace):
			}
		}
	}
	m.cfg.Logger.Info("miner stopped")
}

// Generate mines n blocks to addr, one after another, and returns their hashes.
func (m *Miner) Generate(ctx context.Context, n int, addr consensus.Address) ([]consensus.Hash, error) {
	out := make([]consensus.Hash, 0, n)
	for len(out) < n {
		h, err := m.MineOne(ctx, addr)
		if err != nil {
			return out, err
		}
		out = append(out, h)
	}
	return out, nil
}

// MineOne mines until one block paying addr is accepted on the main chain.
// It rebuilds the template when the tip moves or Refresh passes, and rolls
// the timestamp and the coinbase extra nonce between rounds.
func (m *Miner) MineOne(ctx context.Context, addr consensus.Address) (consensus.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		w := m.work
		if w == nil || w.blk.Header.Miner != addr || m.cfg.Chain.Tip().Hash != w.blk.Header.PrevHash ||
			m.cfg.Now().Sub(w.built) > m.cfg.Refresh {
			blk, err := NewTemplate(m.cfg.Chain, m.cfg.Source, addr, m.cfg.Now())
			if err != nil {
				return consensus.Hash{}, err
			}
			// Only the coinbase changes between rounds: hash the other
			// txs once per template, and the root from the coinbase's
			// branch.
			w = &work{blk: blk, built: m.cfg.Now(), branch: consensus.MerkleBranch0(blk.TxIDs())}
			m.work = w
		}
		blk, built, branch := w.blk, w.built, w.branch
		for {
			if err := ctx.Err(); err != nil {
				return consensus.Hash{}, err
			}
			if m.cfg.Chain.Tip().Hash != blk.Header.PrevHash || m.cfg.Now().Sub(built) > m.cfg.Refresh {
				break // stale: rebuild on the new tip / with new txs
			}
			w.extra++
			blk.Txs[0].Memo = binary.BigEndian.AppendUint64(nil, w.extra)
			blk.Header.MerkleRoot = consensus.MerkleRootFrom0(blk.Txs[0].ID(), branch)
			if ts := m.cfg.Now().Unix(); ts > blk.Header.Timestamp {
				blk.Header.Timestamp = ts
			}
			hdr, ok := Solve(ctx, blk.Header, m.cfg.Threads, m.cfg.RoundTries, &m.hashes)
			if !ok {
				continue
			}
			blk.Header = hdr
			m.work = nil // solved: never mine the same template again
			onMain, _, err := m.cfg.Chain.ProcessBlock(blk)
			if err != nil && !errors.Is(err, chain.ErrAlreadyHave) {
				return consensus.Hash{}, fmt.Errorf("own block rejected: %w", err)
			}
			if onMain {
				m.found.Add(1)
				if m.cfg.OnBlock != nil {
					m.cfg.OnBlock(blk)
				}
				return blk.Hash(), nil
			}
			break // lost a race to another block at this height
		}
	}
}
