package wallet

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Backup writes the keystore, encrypted as it is on disk, to path: a temp
// file in path's directory, fsynced and renamed over path, so a crash
// leaves the old backup or the new one. path must not be the live wallet
// file. The backup opens with the same passphrase; an HD wallet's backup
// also holds addresses and labels the recovery phrase alone cannot restore.
func (w *Wallet) Backup(path string) error {
	if path == "" {
		return fmt.Errorf("backup: no file name given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	live, err := filepath.Abs(filepath.Join(w.dir, FileName))
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if abs == live {
		return fmt.Errorf("backup %s: that is the live wallet file: choose a file elsewhere (ideally on another disk)", path)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return fmt.Errorf("backup %s: is a directory: give a file name, e.g. %s", path, filepath.Join(path, "wallet-backup.json"))
	}
	w.mu.Lock()
	defer w.mu.Unlock() // hold it so no change lands between encode and write
	if w.closed {
		return ErrClosed
	}
	data, err := w.st.encode(w.params)
	if err != nil {
		return err
	}
	if err := writeAtomic(abs, data, false); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	w.log.Info("wallet backed up", "file", abs)
	return nil
}

// Info summarises the wallet for getwalletinfo.
type Info struct {
	HD            bool
	AccountPath   string // "" unless HD
	AccountXpub   string // "" unless HD
	NextIndex     uint32 // next receiving index; 0 unless HD
	Addresses     int    // handed out and imported
	Keypool       int    // unused pre-generated keys (random-key wallets)
	Locked        bool
	UnlockedUntil time.Time // zero while locked
}

// Info reports the wallet's kind and state.
func (w *Wallet) Info() Info {
	w.mu.Lock()
	defer w.mu.Unlock()
	pool := w.st.poolSize()
	in := Info{Addresses: len(w.st.entries) - pool, Keypool: pool, Locked: w.masterLocked() == nil}
	if !in.Locked {
		in.UnlockedUntil = w.until
	}
	if h := w.st.hd; h != nil {
		in.HD, in.AccountPath, in.AccountXpub, in.NextIndex = true, AccountPath(w.params), h.xpub, h.next
	}
	return in
}
