package wallet

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/google/renameio/v2"
)

// OutboxFile holds the wallet's own payments that have not confirmed yet.
const OutboxFile = "outbox.json"

// maxOutbox bounds the outbox; a wallet with more unconfirmed payments than
// this refuses to record more (the node's pool would not hold them anyway).
const maxOutbox = 10_000

// Outbox remembers the payments this wallet sent until they confirm or can
// never confirm, so a payment survives a node restart or crash even when the
// mempool does not (kill -9), and the node can rebroadcast it. The txs are
// signed public data: the file is not encrypted. It is safe for concurrent
// use.
type Outbox struct {
	path string
	log  *slog.Logger

	mu  sync.Mutex
	txs map[consensus.Hash]outboxEntry
}

type outboxEntry struct {
	Raw   string    `json:"raw"` // hex of the encoded tx
	Added time.Time `json:"added"`
	tx    *consensus.Tx
}

// openOutbox loads dir's outbox. An unreadable file is moved aside (never
// deleted) with a warning: losing the list must not stop the wallet.
func openOutbox(dir string, log *slog.Logger) *Outbox {
	o := &Outbox{path: filepath.Join(dir, OutboxFile), log: log, txs: map[consensus.Hash]outboxEntry{}}
	b, err := os.ReadFile(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		return o
	}
	if err == nil {
		err = o.decode(b)
	}
	if err != nil {
		aside := o.path + ".unreadable"
		_ = os.Rename(o.path, aside)
		log.Warn("wallet outbox unreadable; moved aside, unconfirmed payments will not be rebroadcast", "file", aside, "err", err)
		o.txs = map[consensus.Hash]outboxEntry{}
	}
	return o
}

func (o *Outbox) decode(b []byte) error {
	var es []outboxEntry
	if err := json.Unmarshal(b, &es); err != nil {
		return err
	}
	if len(es) > maxOutbox {
		return fmt.Errorf("%d entries, max %d", len(es), maxOutbox)
	}
	for i, e := range es {
		raw, err := hex.DecodeString(e.Raw)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		tx, err := consensus.DecodeTx(raw)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		e.tx = tx
		o.txs[tx.ID()] = e
	}
	return nil
}

// saveLocked writes the outbox atomically (or removes it when empty).
func (o *Outbox) saveLocked() error {
	if len(o.txs) == 0 {
		if err := os.Remove(o.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	es := make([]outboxEntry, 0, len(o.txs))
	for _, e := range o.txs {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b outboxEntry) int { return a.Added.Compare(b.Added) })
	b, err := json.MarshalIndent(es, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(o.path, b, 0o600)
}

// Add records a payment the wallet just handed to the node.
func (o *Outbox) Add(tx *consensus.Tx, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := tx.ID()
	if _, ok := o.txs[id]; ok {
		return nil
	}
	if len(o.txs) >= maxOutbox {
		return fmt.Errorf("wallet outbox full (%d unconfirmed payments)", maxOutbox)
	}
	o.txs[id] = outboxEntry{Raw: hex.EncodeToString(tx.Encode()), Added: now, tx: tx}
	if err := o.saveLocked(); err != nil {
		delete(o.txs, id)
		return fmt.Errorf("record payment %s: %w", id, err)
	}
	return nil
}

// Remove forgets a payment (confirmed, or never confirmable).
func (o *Outbox) Remove(id consensus.Hash) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.txs[id]
	if !ok {
		return nil
	}
	delete(o.txs, id)
	if err := o.saveLocked(); err != nil {
		o.txs[id] = e
		return err
	}
	return nil
}

// Pending is one recorded payment.
type Pending struct {
	Tx    *consensus.Tx
	Added time.Time
}

// List returns the recorded payments, oldest first; per sender in nonce
// order, so re-adding them in this order never leaves a gap.
func (o *Outbox) List() []Pending {
	o.mu.Lock()
	out := make([]Pending, 0, len(o.txs))
	for _, e := range o.txs {
		out = append(out, Pending{Tx: e.tx, Added: e.Added})
	}
	o.mu.Unlock()
	slices.SortFunc(out, func(a, b Pending) int {
		if a.Tx.Nonce != b.Tx.Nonce {
			return cmp.Compare(a.Tx.Nonce, b.Tx.Nonce)
		}
		return a.Added.Compare(b.Added)
	})
	return out
}
