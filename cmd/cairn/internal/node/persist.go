package node

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/rpc"
	"github.com/cairn-chain/cairn/wallet"
)

// MempoolFile is where the pool is saved at shutdown and reloaded at start
// (bitcoind's mempool.dat).
const MempoolFile = "mempool.dat"

// rebroadcastEvery is how often the wallet's unconfirmed payments are
// checked; outboxMaxAge is when one that never confirmed is given up.
const (
	rebroadcastFirst = 5 * time.Second
	rebroadcastEvery = 30 * time.Second
	outboxMaxAge     = 14 * 24 * time.Hour
)

// loadMempool re-validates the saved pool; a damaged file is logged and
// left in place for inspection, never fatal.
func loadMempool(pool *mempool.Pool, dataDir string, log *slog.Logger) {
	path := filepath.Join(dataDir, MempoolFile)
	res, err := pool.Load(path)
	switch {
	case err != nil:
		log.Warn("saved mempool not loaded", "file", path, "err", err)
	case res.Read > 0:
		log.Info("loaded saved mempool", "txs", res.Read, "accepted", res.Accepted, "expired", res.Expired, "refused", res.Refused)
	}
}

func saveMempool(pool *mempool.Pool, dataDir string, log *slog.Logger) error {
	path := filepath.Join(dataDir, MempoolFile)
	if err := pool.Save(path); err != nil {
		return err
	}
	log.Info("saved mempool", "file", path, "txs", pool.Count())
	return nil
}

// outboxChain is what the rebroadcaster reads from the chain.
type outboxChain interface {
	Tx(id consensus.Hash) (*consensus.Tx, chain.TxLocation, error)
	Account(a consensus.Address) (consensus.Account, error)
}

// rebroadcast keeps the wallet's own payments alive until they confirm:
// every rebroadcastEvery it drops those that confirmed or whose nonce was
// used by another tx, and puts back into the pool (which announces them to
// peers) those the pool no longer holds, e.g. after a crash lost the saved
// pool or a peerless node restarted.
func rebroadcast(ctx context.Context, wl *rpc.WalletLoader, ch outboxChain, pool *mempool.Pool, log *slog.Logger) {
	t := time.NewTimer(rebroadcastFirst)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(rebroadcastEvery)
		w, err := wl.Wallet()
		if err != nil {
			continue // no wallet (yet)
		}
		rebroadcastOnce(w.Outbox(), ch, pool, log, time.Now())
	}
}

// rebroadcastOnce checks every recorded payment once. It returns how many
// it put back into the pool.
func rebroadcastOnce(o *wallet.Outbox, ch outboxChain, pool *mempool.Pool, log *slog.Logger, now time.Time) int {
	back := 0
	for _, p := range o.List() {
		tx := p.Tx
		id := tx.ID()
		if _, _, err := ch.Tx(id); err == nil {
			_ = o.Remove(id) // confirmed
			continue
		}
		acct, err := ch.Account(tx.Sender())
		if err != nil {
			continue
		}
		switch {
		case tx.Nonce < acct.Nonce:
			log.Warn("wallet payment can no longer confirm: its nonce was used by another tx", "txid", id, "nonce", tx.Nonce)
			_ = o.Remove(id)
		case now.Sub(p.Added) > outboxMaxAge:
			log.Warn("wallet payment unconfirmed for too long; no longer rebroadcast", "txid", id, "since", p.Added)
			_ = o.Remove(id)
		case pool.Has(id):
		default:
			if _, err := pool.Add(tx); err != nil {
				var re consensus.RuleError
				if errors.As(err, &re) && re.Code != consensus.ErrInsufficientFunds && re.Code != consensus.ErrBadNonce {
					log.Warn("wallet payment is invalid; no longer rebroadcast", "txid", id, "err", err)
					_ = o.Remove(id)
				}
				continue
			}
			back++
			log.Info("rebroadcast wallet payment", "txid", id)
		}
	}
	return back
}
