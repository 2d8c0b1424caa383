package rpc

import (
	"fmt"
	"sync"

	"github.com/cairn-chain/cairn/wallet"
)

// WalletLoader is the WalletAPI over one wallet directory: it opens the
// wallet there on first use and creates it on createwallet.
type WalletLoader struct {
	cfg wallet.Config
	mu  sync.Mutex
	w   *wallet.Wallet
}

// NewWalletLoader returns a loader for cfg.Dir. Nothing is read until the
// first wallet call, so a node starts without a wallet.
func NewWalletLoader(cfg wallet.Config) *WalletLoader { return &WalletLoader{cfg: cfg} }

// Wallet opens the wallet if needed.
func (l *WalletLoader) Wallet() (Wallet, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		return l.w, nil
	}
	if !wallet.Exists(l.cfg.Dir) {
		return nil, fmt.Errorf("%s: %w", l.cfg.Dir, wallet.ErrNoWallet)
	}
	w, err := wallet.Open(l.cfg)
	if err != nil {
		return nil, err
	}
	l.w = w
	return w, nil
}

// CreateWallet creates the wallet and keeps it open.
func (l *WalletLoader) CreateWallet(passphrase []byte) (Wallet, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		return nil, fmt.Errorf("%s: %w", l.cfg.Dir, wallet.ErrWalletExists)
	}
	w, err := wallet.Create(l.cfg, passphrase)
	if err != nil {
		return nil, err
	}
	l.w = w
	return w, nil
}

// Close closes the wallet if it was opened.
func (l *WalletLoader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return nil
	}
	err := l.w.Close()
	l.w = nil
	return err
}

// CreateHDWallet creates an HD wallet, keeps it open and returns its
// recovery phrase, which the caller shows once.
func (l *WalletLoader) CreateHDWallet(passphrase []byte) (Wallet, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		return nil, "", fmt.Errorf("%s: %w", l.cfg.Dir, wallet.ErrWalletExists)
	}
	w, m, err := wallet.CreateHD(l.cfg, passphrase)
	if err != nil {
		return nil, "", err
	}
	l.w = w
	return w, m, nil
}

// RestoreWallet creates the wallet from a recovery phrase (see
// wallet.Restore) and keeps it open.
func (l *WalletLoader) RestoreWallet(mnemonic string, passphrase []byte, used wallet.UsedFunc, gap int) (Wallet, wallet.RestoreResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		return nil, wallet.RestoreResult{}, fmt.Errorf("%s: %w", l.cfg.Dir, wallet.ErrWalletExists)
	}
	w, res, err := wallet.Restore(l.cfg, mnemonic, passphrase, used, gap)
	if err != nil {
		return nil, res, err
	}
	l.w = w
	return w, res, nil
}
