package rpc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/wallet"
)

// newPassphrase reads and checks the passphrase of a new wallet.
func newPassphrase(a *args, i int) ([]byte, error) {
	pass, err := a.str(i, "")
	if err != nil {
		return nil, err
	}
	if err := wallet.CheckNewPassphrase([]byte(pass)); err != nil {
		return nil, invalidParameter("%v", err)
	}
	return []byte(pass), nil
}

type createWalletJSON struct {
	Locked      bool   `json:"locked"`
	HD          bool   `json:"hd"`
	Mnemonic    string `json:"mnemonic,omitempty"`
	AccountPath string `json:"accountpath,omitempty"`
	Keypool     int    `json:"keypool"`
}

func (s *Server) createWallet(_ context.Context, a *args) (any, error) {
	pass, err := newPassphrase(a, 0)
	if err != nil {
		return nil, err
	}
	if s.b.Wallet == nil {
		return nil, newError(CodeNoWallet, "this node runs without a wallet")
	}
	_, m, err := s.b.Wallet.CreateHDWallet(pass)
	if err != nil {
		return nil, walletError(err)
	}
	return createWalletJSON{Locked: true, HD: true, Mnemonic: m, AccountPath: wallet.AccountPath(s.b.Params)}, nil
}

type restoreJSON struct {
	Locked    bool   `json:"locked"`
	Used      int    `json:"used"`    // addresses handed out again: up to the last used one
	Scanned   int    `json:"scanned"` // addresses looked up
	NextIndex uint32 `json:"nextindex"`
}

func (s *Server) restoreWallet(_ context.Context, a *args) (any, error) {
	mnemonic, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	if _, err := wallet.NormalizeMnemonic(mnemonic); err != nil {
		return nil, invalidParameter("%v", err)
	}
	pass, err := newPassphrase(a, 1)
	if err != nil {
		return nil, err
	}
	gap, err := a.uint(2, wallet.DefaultGapLimit)
	if err != nil {
		return nil, err
	}
	if gap < 1 || gap > wallet.MaxGapLimit {
		return nil, invalidParameter("gaplimit must be between 1 and %d, got %d", wallet.MaxGapLimit, gap)
	}
	if s.b.Wallet == nil {
		return nil, newError(CodeNoWallet, "this node runs without a wallet")
	}
	start := time.Now()
	_, res, err := s.b.Wallet.RestoreWallet(mnemonic, pass, s.addressUsed, int(gap))
	if err != nil {
		return nil, walletError(err)
	}
	s.log.Info("wallet restored", "used", res.Used, "scanned", res.Scanned, "took", time.Since(start).Round(time.Millisecond))
	return restoreJSON{Locked: true, Used: res.Used, Scanned: res.Scanned, NextIndex: res.Next}, nil
}

// addressUsed asks the address index (one seek, not a rescan) and the
// mempool whether addr ever sent or received anything.
func (s *Server) addressUsed(addr consensus.Address) (bool, error) {
	txs, err := s.b.Chain.AddressTxs(addr, 1, 0)
	if err != nil {
		return false, err
	}
	return len(txs) > 0 || len(s.b.Mempool.TxsTouching(addr)) > 0, nil
}

func (s *Server) backupWallet(_ context.Context, a *args) (any, error) {
	dst, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	// The node's working directory is nobody's business: a relative path
	// would land somewhere the caller cannot predict.
	if !filepath.IsAbs(dst) {
		return nil, invalidParameter("destination %q must be an absolute path (it is a path on the node's machine)", dst)
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	if err := w.Backup(dst); err != nil {
		if errors.Is(err, wallet.ErrClosed) {
			return nil, walletError(err)
		}
		return nil, newError(CodeWallet, "%v", err)
	}
	return map[string]string{"file": filepath.Clean(dst)}, nil
}

type walletInfoJSON struct {
	HD            bool   `json:"hd"`
	AccountPath   string `json:"accountpath,omitempty"`
	AccountXpub   string `json:"accountxpub,omitempty"`
	NextIndex     uint32 `json:"nextindex"`
	Addresses     int    `json:"addresses"`
	Keypool       int    `json:"keypool"`
	Locked        bool   `json:"locked"`
	UnlockedUntil int64  `json:"unlockeduntil"` // unix seconds; 0 while locked
}

func (s *Server) getWalletInfo(context.Context, *args) (any, error) {
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	in := w.Info()
	out := walletInfoJSON{HD: in.HD, AccountPath: in.AccountPath, AccountXpub: in.AccountXpub, NextIndex: in.NextIndex,
		Addresses: in.Addresses, Keypool: in.Keypool, Locked: in.Locked}
	if !in.Locked {
		out.UnlockedUntil = in.UnlockedUntil.Unix()
	}
	return out, nil
}

// feeText renders base units for an error message a person reads.
func feeText(units uint64) string {
	return fmt.Sprintf("%s (%d base units)", wallet.FormatCoins(units), units)
}
