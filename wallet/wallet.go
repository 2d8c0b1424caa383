package wallet

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cairn-chain/cairn/consensus"
)

// KeypoolSize is how many unused keys an unlocked wallet keeps ready, so
// that many addresses can be handed out while locked.
const KeypoolSize = 100

// MaxUnlockDuration bounds Unlock so a wallet is never left open for good.
const MaxUnlockDuration = 365 * 24 * time.Hour

// maxLabelLen keeps labels to something a listing can show.
const maxLabelLen = 128

// Config says where a wallet lives and which network it serves.
type Config struct {
	Dir    string            // holds FileName; Create makes it mode 0700
	Params *consensus.Params // network; a wallet only opens on its own
	Logger *slog.Logger      // nil discards
	Now    func() time.Time  // nil means time.Now
	KDF    KDFParams         // used by Create; zero means the defaults
}

func (c Config) normalize() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("wallet config: Dir is empty: pass the wallet directory")
	}
	if c.Params == nil {
		return c, errors.New("wallet config: Params is nil: pass the network's consensus parameters")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.KDF = c.KDF.withDefaults()
	return c, c.KDF.validate()
}

// AddressInfo describes an address the wallet has handed out or imported.
type AddressInfo struct {
	Address   consensus.Address
	Label     string
	Imported  bool
	HDPath    string    // BIP-32 path of a derived key; empty for random and imported keys
	CreatedAt time.Time // when it was handed out or imported
}

// Wallet is an open keystore. It is safe for concurrent use.
type Wallet struct {
	dir    string
	params *consensus.Params
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	st     *state                    // as on disk; replaced, never mutated
	index  map[consensus.Address]int // into st.entries
	master []byte                    // decrypted master key; nil while locked
	until  time.Time                 // when an unlock expires
	relock *time.Timer
	gen    uint64 // counts unlocks so a stale timer cannot lock a newer one
	closed bool

	outbox *Outbox
}

// Open loads the wallet in cfg.Dir, locked. It returns ErrNoWallet if there
// is none and ErrWrongNetwork if it belongs to another network. Leftovers of
// interrupted writes are removed.
func Open(cfg Config) (*Wallet, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.Dir, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrNoWallet)
	}
	if err != nil {
		return nil, fmt.Errorf("open wallet: %w", err)
	}
	removeTemps(cfg.Dir, cfg.Logger)
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		cfg.Logger.Warn("wallet file is readable by other users; run chmod 600 on it",
			"file", path, "mode", fi.Mode().Perm())
	}
	st, err := decodeState(path, b, cfg.Params)
	if err != nil {
		return nil, err
	}
	w := newWallet(cfg, st)
	cfg.Logger.Info("wallet opened", "dir", cfg.Dir, "addresses", len(w.index)-st.poolSize(), "keypool", st.poolSize())
	return w, nil
}

func newWallet(cfg Config, st *state) *Wallet {
	return &Wallet{
		dir: cfg.Dir, params: cfg.Params, log: cfg.Logger, now: cfg.Now,
		st: st, index: st.buildIndex(),
		outbox: openOutbox(cfg.Dir, cfg.Logger),
	}
}

// Outbox is the wallet's list of its own unconfirmed payments.
func (w *Wallet) Outbox() *Outbox { return w.outbox }

// Unlock decrypts the master key for d (0 < d <= MaxUnlockDuration), then
// relocks by itself. Unlocking an unlocked wallet restarts the countdown. It
// also refills the keypool.
func (w *Wallet) Unlock(passphrase []byte, d time.Duration) error {
	if d <= 0 || d > MaxUnlockDuration {
		return fmt.Errorf("unlock duration %v: must be above 0 and at most %v (e.g. 10m)", d, MaxUnlockDuration)
	}
	master, err := w.checkPassphrase(passphrase)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		clear(master)
		return ErrClosed
	}
	w.lockLocked()
	w.master = master
	w.gen++
	gen := w.gen
	w.until = w.now().Add(d)
	w.relock = time.AfterFunc(d, func() { w.expire(gen) })

	next := w.st.clone()
	if err := next.topUpRandom(master, w.now()); err != nil {
		w.lockLocked()
		return fmt.Errorf("unlock: refill keypool: %w", err)
	}
	if len(next.entries) != len(w.st.entries) {
		if err := w.commitLocked(next); err != nil {
			w.lockLocked()
			return fmt.Errorf("unlock: refill keypool: %w", err)
		}
	}
	w.log.Info("wallet unlocked", "until", w.until.Format(time.RFC3339))
	return nil
}

// checkPassphrase returns the decrypted master key. scrypt runs without
// the mutex so a slow KDF does not stall other callers.
func (w *Wallet) checkPassphrase(passphrase []byte) ([]byte, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	kdf, salt, sealedMaster := w.st.kdf, w.st.salt, w.st.master
	w.mu.Unlock()

	if len(passphrase) == 0 {
		return nil, ErrWrongPassphrase // Create never accepts an empty one
	}
	dk, err := deriveKey(passphrase, salt, kdf)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	master, err := sealedMaster.open(dk, masterAD)
	if errors.Is(err, errAuth) {
		return nil, ErrWrongPassphrase
	}
	if err != nil || len(master) != keySize {
		clear(master)
		return nil, fmt.Errorf("%s: master key is malformed: the wallet file is damaged, restore it from a backup",
			filepath.Join(w.dir, FileName))
	}
	return master, nil
}

func (w *Wallet) expire(gen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gen == gen && w.master != nil {
		w.lockLocked()
		w.log.Info("wallet relocked: unlock time is over")
	}
}

// Lock zeroes the decrypted master key. It is a no-op on a locked wallet.
func (w *Wallet) Lock() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.master != nil {
		w.lockLocked()
		w.log.Info("wallet locked")
	}
}

func (w *Wallet) lockLocked() {
	if w.relock != nil {
		w.relock.Stop()
		w.relock = nil
	}
	clear(w.master)
	w.master = nil
	w.until = time.Time{}
}

// IsLocked reports whether signing needs an Unlock first.
func (w *Wallet) IsLocked() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.masterLocked() == nil
}

// masterLocked returns the master key, or nil if locked. It also enforces
// the deadline itself in case the timer has not fired yet.
func (w *Wallet) masterLocked() []byte {
	if w.master != nil && !w.now().Before(w.until) {
		w.lockLocked()
	}
	return w.master
}

// NewAddress hands out a fresh address under label. An HD wallet derives
// the next receiving key from the account xpub, locked or not. A wallet of
// random keys hands out the next key of the keypool: it works while locked
// as long as the pool has keys, and refills the pool when unlocked; with an
// empty pool and a locked wallet it returns ErrLocked.
func (w *Wallet) NewAddress(label string) (consensus.Address, error) {
	if err := checkLabel(label); err != nil {
		return consensus.Address{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return consensus.Address{}, ErrClosed
	}
	if w.st.hd != nil {
		return w.newHDAddressLocked(label)
	}
	master := w.masterLocked()
	next := w.st.clone()
	if master != nil {
		if err := next.topUp(master, w.now()); err != nil {
			return consensus.Address{}, err
		}
	}
	i := next.firstPool()
	if i < 0 {
		return consensus.Address{}, fmt.Errorf("keypool is empty: %w", ErrLocked)
	}
	e := &next.entries[i]
	e.pool, e.label, e.createdAt = false, label, w.now()
	addr := e.addr
	if master != nil {
		if err := next.topUp(master, w.now()); err != nil {
			return consensus.Address{}, err
		}
	}
	if err := w.commitLocked(next); err != nil {
		return consensus.Address{}, err
	}
	if left := next.poolSize(); master == nil && left < KeypoolSize/10 {
		w.log.Warn("keypool is running low: unlock the wallet to refill it", "left", left)
	}
	return addr, nil
}

// Addresses lists handed-out and imported addresses, oldest first. Unused
// keypool keys are not included.
func (w *Wallet) Addresses() []AddressInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []AddressInfo
	for _, e := range w.st.entries {
		if !e.pool {
			ai := AddressInfo{Address: e.addr, Label: e.label, Imported: e.imported, CreatedAt: e.createdAt}
			if e.hd {
				ai.HDPath = AddressPath(w.params, e.hdIndex)
			}
			out = append(out, ai)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// Has reports whether addr is one of Addresses.
func (w *Wallet) Has(addr consensus.Address) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.entryLocked(addr)
	return ok
}

// entryLocked finds a handed-out or imported key.
func (w *Wallet) entryLocked(addr consensus.Address) (entry, bool) {
	i, ok := w.index[addr]
	if !ok || w.st.entries[i].pool {
		return entry{}, false
	}
	return w.st.entries[i], true
}

// Close locks the wallet; later calls return ErrClosed. Every change was
// already written, so there is nothing to flush.
func (w *Wallet) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.lockLocked()
		w.closed = true
		w.log.Info("wallet closed")
	}
	return nil
}

// commitLocked writes next and only then installs it, so a failed write
// leaves memory matching the file.
func (w *Wallet) commitLocked(next *state) error {
	data, err := next.encode(w.params)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(w.dir, data, false); err != nil {
		return err
	}
	w.st, w.index = next, next.buildIndex()
	return nil
}

func checkLabel(label string) error {
	if len(label) > maxLabelLen || !utf8.ValidString(label) {
		return fmt.Errorf("label must be valid UTF-8 of at most %d bytes: shorten it", maxLabelLen)
	}
	return nil
}

func (s *state) clone() *state {
	c := *s
	c.entries = slices.Clone(s.entries)
	if s.hd != nil {
		h := *s.hd
		c.hd = &h
	}
	return &c
}

func (s *state) buildIndex() map[consensus.Address]int {
	m := make(map[consensus.Address]int, len(s.entries))
	for i, e := range s.entries {
		m[e.addr] = i
	}
	return m
}

func (s *state) firstPool() int {
	return slices.IndexFunc(s.entries, func(e entry) bool { return e.pool })
}

func (s *state) poolSize() int {
	n := 0
	for _, e := range s.entries {
		if e.pool {
			n++
		}
	}
	return n
}

// topUpRandom refills the keypool of a wallet of random keys; an HD wallet
// needs none (it derives addresses from the xpub).
func (s *state) topUpRandom(master []byte, now time.Time) error {
	if s.hd != nil {
		return nil
	}
	return s.topUp(master, now)
}

// topUp generates keys until the pool holds KeypoolSize.
func (s *state) topUp(master []byte, now time.Time) error {
	need := KeypoolSize - s.poolSize()
	if need <= 0 {
		return nil
	}
	have := s.buildIndex()
	for need > 0 {
		addr, key, err := newKey(master)
		if err != nil {
			return err
		}
		if _, dup := have[addr]; dup {
			continue // cannot happen with a working RNG; a duplicate would make the file unreadable
		}
		have[addr] = len(s.entries)
		s.entries = append(s.entries, entry{addr: addr, key: key, pool: true, createdAt: now})
		need--
	}
	return nil
}
