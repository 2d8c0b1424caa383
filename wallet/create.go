package wallet

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/cairn-chain/cairn/consensus"
)

// MinPassphraseLen is the shortest passphrase a new wallet accepts, in
// characters. scrypt slows guessing, but not enough to save "abc".
const MinPassphraseLen = 8

// CheckNewPassphrase returns ErrShortPassphrase for a passphrase too short
// to encrypt a new wallet.
func CheckNewPassphrase(passphrase []byte) error {
	if utf8.RuneCount(passphrase) < MinPassphraseLen {
		return fmt.Errorf("%w (this one has %d)", ErrShortPassphrase, utf8.RuneCount(passphrase))
	}
	return nil
}

// Create makes a new wallet of random keys (no recovery phrase) in
// cfg.Dir, with a keypool of KeypoolSize keys, and returns it locked. New
// wallets should use CreateHD; Create remains for tools and tests that
// want a wallet without a seed.
func Create(cfg Config, passphrase []byte) (*Wallet, error) {
	return create(cfg, passphrase, func(st *state, master []byte, now time.Time) error {
		return st.topUp(master, now)
	})
}

// CreateHD makes a new HD wallet in cfg.Dir and returns it locked with its
// MnemonicWords-word recovery phrase. The phrase is not stored (only the
// seed, encrypted): the caller must show it to the user once.
func CreateHD(cfg Config, passphrase []byte) (*Wallet, string, error) {
	mnemonic, err := NewMnemonic()
	if err != nil {
		return nil, "", err
	}
	w, err := create(cfg, passphrase, func(st *state, master []byte, _ time.Time) error {
		seed := seedFromMnemonic(mnemonic)
		defer clear(seed)
		hd, err := newHDState(master, seed, cfg.Params)
		st.hd = hd
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return w, mnemonic, nil
}

// UsedFunc reports whether an address has ever been used on chain (or in
// the mempool). Restore asks it once per derived address.
type UsedFunc func(consensus.Address) (bool, error)

// RestoreResult says what Restore found.
type RestoreResult struct {
	Used    int // addresses with history, up to the last one found
	Scanned int // addresses derived and looked up
	Next    uint32
}

// Restore makes an HD wallet in cfg.Dir from a recovery phrase and hands
// out again every receiving address up to the last used one: it derives
// addresses in order and asks used about each, stopping after gap unused
// ones in a row (gap 0 means DefaultGapLimit). The wallet is returned
// locked; it holds the same addresses and keys the original had.
func Restore(cfg Config, mnemonic string, passphrase []byte, used UsedFunc, gap int) (*Wallet, RestoreResult, error) {
	var res RestoreResult
	if gap == 0 {
		gap = DefaultGapLimit
	}
	if gap < 1 || gap > MaxGapLimit {
		return nil, res, fmt.Errorf("gap limit %d: must be between 1 and %d", gap, MaxGapLimit)
	}
	norm, err := NormalizeMnemonic(mnemonic)
	if err != nil {
		return nil, res, err
	}
	w, err := create(cfg, passphrase, func(st *state, master []byte, now time.Time) error {
		seed := seedFromMnemonic(norm)
		defer clear(seed)
		hd, err := newHDState(master, seed, cfg.Params)
		if err != nil {
			return err
		}
		st.hd = hd
		last := -1
		for i := 0; i-last <= gap; i++ {
			addr, err := st.hd.address(uint32(i))
			if err != nil {
				return err
			}
			res.Scanned++
			ok, err := used(addr)
			if err != nil {
				return fmt.Errorf("restore: look up %s: %w", addr.Encode(cfg.Params.AddressHRP), err)
			}
			if ok {
				last = i
			}
		}
		for i := 0; i <= last; i++ {
			addr, _ := st.hd.address(uint32(i)) // derived above
			st.entries = append(st.entries, entry{addr: addr, hd: true, hdIndex: uint32(i), createdAt: now})
		}
		st.hd.next = uint32(last + 1)
		res.Used, res.Next = last+1, st.hd.next
		return nil
	})
	if err != nil {
		return nil, RestoreResult{}, err
	}
	return w, res, nil
}

// create makes a wallet with a fresh master key, lets fill add keys or a
// seed, and writes it only if no wallet exists (never overwriting one).
func create(cfg Config, passphrase []byte, fill func(st *state, master []byte, now time.Time) error) (*Wallet, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	if err := CheckNewPassphrase(passphrase); err != nil {
		return nil, err
	}
	if Exists(cfg.Dir) {
		return nil, fmt.Errorf("%s: %w", filepath.Join(cfg.Dir, FileName), ErrWalletExists)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create wallet directory: %w", err)
	}
	if err := os.Chmod(cfg.Dir, 0o700); err != nil { // MkdirAll leaves an existing dir's mode
		return nil, fmt.Errorf("create wallet directory: %w", err)
	}
	removeTemps(cfg.Dir, cfg.Logger)

	salt, err := randomBytes(saltSize)
	if err != nil {
		return nil, err
	}
	master, err := randomBytes(keySize)
	if err != nil {
		return nil, err
	}
	defer clear(master)
	dk, err := deriveKey(passphrase, salt, cfg.KDF)
	if err != nil {
		return nil, err
	}
	sealedMaster, err := seal(dk, master, masterAD)
	clear(dk)
	if err != nil {
		return nil, err
	}
	st := &state{kdf: cfg.KDF, salt: salt, master: sealedMaster}
	if err := fill(st, master, cfg.Now()); err != nil {
		return nil, err
	}
	data, err := st.encode(cfg.Params)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(cfg.Dir, data, true); err != nil {
		return nil, err
	}
	if st.hd != nil {
		cfg.Logger.Info("hd wallet created", "dir", cfg.Dir, "network", cfg.Params.Name,
			"path", AccountPath(cfg.Params), "addresses", len(st.entries))
	} else {
		cfg.Logger.Info("wallet created", "dir", cfg.Dir, "network", cfg.Params.Name, "keypool", KeypoolSize)
	}
	return newWallet(cfg, st), nil
}
