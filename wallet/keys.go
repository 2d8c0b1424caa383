package wallet

import (
	"bytes"

	"encoding/hex"
	"fmt"
	"github.com/btcsuite/btcd/btcec/v2"
	"strings"

	"github.com/cairn-chain/cairn/consensus"
)

// SignTransfer builds and signs a transfer from one of the wallet's
// addresses. The wallet must be unlocked (ErrLocked); from must be one of
// Addresses (ErrUnknownAddress). The tx is checked against the network's
// context-free rules (fee minimum, memo size) before signing.
func (w *Wallet) SignTransfer(from, to consensus.Address, amount, fee, nonce uint64, memo []byte) (*consensus.Tx, error) {
	tx, err := w.newTransfer(to, amount, fee, memo)
	if err != nil {
		return nil, err
	}
	tx.Nonce = nonce
	if err := w.sign(from, tx); err != nil {
		return nil, err
	}
	return tx, nil
}

func (w *Wallet) newTransfer(to consensus.Address, amount, fee uint64, memo []byte) (*consensus.Tx, error) {
	tx := &consensus.Tx{
		Kind: consensus.TxTransfer, ChainID: w.params.ChainID,
		To: to, Amount: amount, Fee: fee, Memo: bytes.Clone(memo),
	}
	if err := consensus.CheckTxSanity(tx, w.params); err != nil {
		return nil, fmt.Errorf("the network would reject this transfer: %w", err)
	}
	return tx, nil
}

func (w *Wallet) sign(from consensus.Address, tx *consensus.Tx) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	e, ok := w.entryLocked(from)
	if !ok {
		return fmt.Errorf("%s: %w", from.Encode(w.params.AddressHRP), ErrUnknownAddress)
	}
	master := w.masterLocked()
	if master == nil {
		return ErrLocked
	}
	priv, err := w.privKeyLocked(master, e)
	if err != nil {
		return err
	}
	defer priv.Zero()
	if err := tx.Sign(priv); err != nil {
		return err
	}
	if tx.Sender() != from {
		return fmt.Errorf("signed tx has sender %x, want %x: this is a bug, please report it", tx.Sender(), from)
	}
	return nil
}

// ImportPrivKey adds a hex-encoded 32-byte secp256k1 key under label and
// returns its address. It needs the passphrase even when unlocked, and is
// a no-op for a key the wallet already has.
func (w *Wallet) ImportPrivKey(hexKey string, passphrase []byte, label string) (consensus.Address, error) {
	if err := checkLabel(label); err != nil {
		return consensus.Address{}, err
	}
	raw, err := hex.DecodeString(strings.TrimSpace(hexKey))
	if err != nil || len(raw) != keySize {
		clear(raw)
		return consensus.Address{}, fmt.Errorf("private key must be %d hex characters, as printed by DumpPrivKey", 2*keySize)
	}
	priv, err := parsePrivKey(raw)
	clear(raw)
	if err != nil {
		return consensus.Address{}, err
	}
	defer priv.Zero()
	master, err := w.checkPassphrase(passphrase)
	if err != nil {
		return consensus.Address{}, err
	}
	defer clear(master)

	addr := addressOf(priv)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return consensus.Address{}, ErrClosed
	}
	next := w.st.clone()
	if i, ok := w.index[addr]; ok {
		if !next.entries[i].pool {
			return addr, nil
		}
		// One of our own pool keys: hand it out rather than store it twice.
		e := &next.entries[i]
		e.pool, e.label, e.createdAt = false, label, w.now()
	} else {
		_, key, err := sealKey(master, priv)
		if err != nil {
			return consensus.Address{}, err
		}
		next.entries = append(next.entries, entry{addr: addr, key: key, label: label, imported: true, createdAt: w.now()})
	}
	if err := w.commitLocked(next); err != nil {
		return consensus.Address{}, err
	}
	w.log.Info("private key imported", "address", addr.Encode(w.params.AddressHRP))
	return addr, nil
}

// DumpPrivKey returns addr's private key as 64 hex characters. It needs the
// passphrase even when unlocked: whoever holds the result owns the funds.
func (w *Wallet) DumpPrivKey(addr consensus.Address, passphrase []byte) (string, error) {
	master, err := w.checkPassphrase(passphrase)
	if err != nil {
		return "", err
	}
	defer clear(master)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return "", ErrClosed
	}
	e, ok := w.entryLocked(addr)
	if !ok {
		return "", fmt.Errorf("%s: %w", addr.Encode(w.params.AddressHRP), ErrUnknownAddress)
	}
	priv, err := w.privKeyLocked(master, e)
	if err != nil {
		return "", err
	}
	defer priv.Zero()
	raw := priv.Serialize()
	defer clear(raw)
	w.log.Warn("private key exported: anyone who sees it can spend its funds", "address", addr.Encode(w.params.AddressHRP))
	return hex.EncodeToString(raw), nil
}

// privKeyLocked decrypts (random, imported) or derives (HD) e's key.
func (w *Wallet) privKeyLocked(master []byte, e entry) (*btcec.PrivateKey, error) {
	if e.hd {
		return w.st.hd.privKey(master, w.params, e.hdIndex, e.addr)
	}
	return openKey(master, e.addr, e.key)
}

// newHDAddressLocked derives the next receiving address and hands it out.
func (w *Wallet) newHDAddressLocked(label string) (consensus.Address, error) {
	next := w.st.clone()
	for {
		i := next.hd.next
		addr, err := next.hd.address(i)
		if err != nil {
			return consensus.Address{}, err
		}
		next.hd.next++
		if _, dup := w.index[addr]; dup {
			continue // its key was imported before: hand out a fresh one
		}
		next.entries = append(next.entries, entry{addr: addr, hd: true, hdIndex: i, label: label, createdAt: w.now()})
		if err := w.commitLocked(next); err != nil {
			return consensus.Address{}, err
		}
		return addr, nil
	}
}
