package wallet

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/cairn-chain/cairn/consensus"
)

func signedTx(t *testing.T, nonce uint64) *consensus.Tx {
	t.Helper()
	priv, _ := btcec.PrivKeyFromBytes([]byte("outbox test key outbox test key!"))
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: consensus.RegtestParams().ChainID, Nonce: nonce, Amount: 5, Fee: 1000}
	if err := tx.Sign(priv); err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestOutboxPersists(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	o := openOutbox(dir, log)
	now := time.Unix(1_790_000_000, 0)
	t2, t0, t1 := signedTx(t, 2), signedTx(t, 0), signedTx(t, 1)
	for i, tx := range []*consensus.Tx{t2, t0, t1} {
		if err := o.Add(tx, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Add(t0, now); err != nil { // twice is once
		t.Fatal(err)
	}
	if err := o.Remove(t1.ID()); err != nil {
		t.Fatal(err)
	}
	re := openOutbox(dir, log)
	got := re.List()
	if len(got) != 2 || got[0].Tx.ID() != t0.ID() || got[1].Tx.ID() != t2.ID() {
		t.Fatalf("after reopen: %d entries", len(got))
	}
	// Emptied: the file goes away.
	_ = re.Remove(t0.ID())
	_ = re.Remove(t2.ID())
	if _, err := os.Stat(filepath.Join(dir, OutboxFile)); !os.IsNotExist(err) {
		t.Fatalf("empty outbox file still there: %v", err)
	}
}

// A damaged outbox never stops the wallet and is never deleted: it is moved
// aside for inspection.
func TestOutboxUnreadableMovedAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, OutboxFile)
	if err := os.WriteFile(path, []byte(`[{"raw":"zz"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := openOutbox(dir, slog.New(slog.DiscardHandler))
	if len(o.List()) != 0 {
		t.Fatal("entries from a damaged file")
	}
	if b, err := os.ReadFile(path + ".unreadable"); err != nil || string(b) != `[{"raw":"zz"}]` {
		t.Fatalf("damaged file not kept aside: %q %v", b, err)
	}
}
