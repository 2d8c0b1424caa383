package wallet

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/cairn-chain/cairn/consensus"
)

// cheapKDF keeps tests fast; real wallets use the defaults.
var cheapKDF = KDFParams{N: 16, R: 1, P: 1}

var pass = []byte("correct horse battery staple")

// clock is a settable Now for deterministic timestamps and expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func testConfig(t *testing.T) (Config, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return Config{
		Dir:    filepath.Join(t.TempDir(), "wallet"),
		Params: consensus.RegtestParams(),
		Logger: slog.New(slog.DiscardHandler),
		Now:    c.Now,
		KDF:    cheapKDF,
	}, c
}

func newTestWallet(t *testing.T) (*Wallet, Config, *clock) {
	t.Helper()
	cfg, c := testConfig(t)
	w, err := Create(cfg, pass)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w, cfg, c
}

func reopen(t *testing.T, w *Wallet, cfg Config) *Wallet {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	w2, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { w2.Close() })
	return w2
}

func poolSize(w *Wallet) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st.poolSize()
}

func TestCreateOpen(t *testing.T) {
	cfg, _ := testConfig(t)
	if _, err := Open(cfg); !errors.Is(err, ErrNoWallet) {
		t.Fatalf("Open before Create: %v, want ErrNoWallet", err)
	}
	if Exists(cfg.Dir) {
		t.Fatal("Exists before Create")
	}
	for _, short := range []string{"", "1234567", "pässwör"} { // 7 characters, 9 bytes
		if _, err := Create(cfg, []byte(short)); !errors.Is(err, ErrShortPassphrase) || !strings.Contains(err.Error(), "at least 8 characters") {
			t.Fatalf("Create with passphrase %q: %v, want ErrShortPassphrase", short, err)
		}
	}
	if Exists(cfg.Dir) {
		t.Fatal("a refused Create left a wallet file")
	}
	w, err := Create(cfg, pass)
	if err != nil {
		t.Fatal(err)
	}
	if !Exists(cfg.Dir) || !w.IsLocked() || len(w.Addresses()) != 0 || poolSize(w) != KeypoolSize {
		t.Fatalf("new wallet: exists=%v locked=%v addrs=%d pool=%d", Exists(cfg.Dir), w.IsLocked(), len(w.Addresses()), poolSize(w))
	}
	if _, err := Create(cfg, pass); !errors.Is(err, ErrWalletExists) {
		t.Fatalf("second Create: %v, want ErrWalletExists", err)
	}
	w2 := reopen(t, w, cfg)
	if !w2.IsLocked() || poolSize(w2) != KeypoolSize {
		t.Fatalf("reopened: locked=%v pool=%d", w2.IsLocked(), poolSize(w2))
	}
	if err := w2.Unlock(pass, time.Minute); err != nil {
		t.Fatalf("Unlock after reopen: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	base, _ := testConfig(t)
	for name, mut := range map[string]func(*Config){
		"no dir":    func(c *Config) { c.Dir = "" },
		"no params": func(c *Config) { c.Params = nil },
		"bad N":     func(c *Config) { c.KDF = KDFParams{N: 3, R: 1, P: 1} },
		"zero r":    func(c *Config) { c.KDF = KDFParams{N: 16, P: 1} },
	} {
		cfg := base
		mut(&cfg)
		if _, err := Create(cfg, pass); err == nil {
			t.Errorf("%s: Create succeeded", name)
		}
	}
}

func TestUnlockLock(t *testing.T) {
	w, _, _ := newTestWallet(t)
	for _, tc := range []struct {
		name string
		pass []byte
		d    time.Duration
		want error
	}{
		{"wrong passphrase", []byte("wrong"), time.Minute, ErrWrongPassphrase},
		{"empty passphrase", nil, time.Minute, ErrWrongPassphrase},
		{"zero duration", pass, 0, nil},
		{"negative duration", pass, -time.Second, nil},
		{"too long", pass, MaxUnlockDuration + time.Second, nil},
	} {
		err := w.Unlock(tc.pass, tc.d)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: Unlock = %v, want error %v", tc.name, err, tc.want)
		}
		if !w.IsLocked() {
			t.Errorf("%s: wallet unlocked after failed Unlock", tc.name)
		}
	}
	if err := w.Unlock(pass, time.Hour); err != nil {
		t.Fatal(err)
	}
	if w.IsLocked() {
		t.Fatal("locked after Unlock")
	}
	w.mu.Lock()
	key := w.master
	w.mu.Unlock()
	w.Lock()
	if !w.IsLocked() {
		t.Fatal("unlocked after Lock")
	}
	for _, b := range key {
		if b != 0 {
			t.Fatal("master key not zeroed by Lock")
		}
	}
}

func TestAutoRelock(t *testing.T) {
	w, _, c := newTestWallet(t)
	if err := w.Unlock(pass, 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	key := w.master
	w.mu.Unlock()
	waitLocked(t, w)
	w.mu.Lock()
	zeroed := w.master == nil && string(key) == string(make([]byte, len(key)))
	w.mu.Unlock()
	if !zeroed {
		t.Fatal("timer did not zero the master key")
	}

	// A stale timer from an earlier unlock must not cut a later one short.
	if err := w.Unlock(pass, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := w.Unlock(pass, time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(80 * time.Millisecond)
	if w.IsLocked() {
		t.Fatal("stale timer relocked a newer unlock")
	}

	// The deadline holds even if the timer has not fired yet.
	c.Advance(2 * time.Hour)
	if !w.IsLocked() {
		t.Fatal("still unlocked past the deadline")
	}
}

func waitLocked(t *testing.T, w *Wallet) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !w.IsLocked() {
		if time.Now().After(deadline) {
			t.Fatal("wallet did not relock")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestKeypoolWhileLocked(t *testing.T) {
	w, cfg, c := newTestWallet(t)
	var got []consensus.Address
	for i, label := range []string{"a", "b", ""} {
		c.Advance(time.Second)
		addr, err := w.NewAddress(label)
		if err != nil {
			t.Fatalf("NewAddress %d while locked: %v", i, err)
		}
		if !w.Has(addr) {
			t.Fatalf("Has(%x) = false", addr)
		}
		got = append(got, addr)
	}
	if got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
		t.Fatalf("reused address: %x", got)
	}
	if n := poolSize(w); n != KeypoolSize-3 {
		t.Fatalf("pool = %d after 3 addresses while locked, want %d", n, KeypoolSize-3)
	}

	w = reopen(t, w, cfg)
	infos := w.Addresses()
	if len(infos) != 3 {
		t.Fatalf("Addresses after reopen = %d, want 3", len(infos))
	}
	for i, info := range infos {
		if info.Address != got[i] || info.Imported {
			t.Errorf("address %d = %+v, want %x", i, info, got[i])
		}
	}
	if infos[0].Label != "a" || infos[1].Label != "b" || !infos[0].CreatedAt.Before(infos[1].CreatedAt) {
		t.Errorf("labels/times not kept: %+v", infos)
	}
	next, err := w.NewAddress("d")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		if a == next {
			t.Fatal("keypool handed out an address twice across reopen")
		}
	}

	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := poolSize(w); n != KeypoolSize {
		t.Fatalf("pool = %d after Unlock, want %d", n, KeypoolSize)
	}
	if _, err := w.NewAddress("e"); err != nil || poolSize(w) != KeypoolSize {
		t.Fatalf("NewAddress unlocked: %v, pool %d", err, poolSize(w))
	}
}

func TestKeypoolExhausted(t *testing.T) {
	w, _, _ := newTestWallet(t)
	for i := 0; i < KeypoolSize; i++ {
		if _, err := w.NewAddress(""); err != nil {
			t.Fatalf("NewAddress %d: %v", i, err)
		}
	}
	if _, err := w.NewAddress(""); !errors.Is(err, ErrLocked) {
		t.Fatalf("NewAddress with empty pool while locked: %v, want ErrLocked", err)
	}
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := w.NewAddress(""); err != nil {
		t.Fatalf("NewAddress after Unlock: %v", err)
	}
	if n := len(w.Addresses()); n != KeypoolSize+1 {
		t.Fatalf("Addresses = %d, want %d", n, KeypoolSize+1)
	}
}

func TestConcurrentNewAddress(t *testing.T) {
	w, _, _ := newTestWallet(t)
	const workers, each = 4, 5
	var wg sync.WaitGroup
	addrs := make(chan consensus.Address, workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				a, err := w.NewAddress("")
				if err != nil {
					t.Error(err)
					return
				}
				addrs <- a
				w.IsLocked()
				w.Addresses()
			}
		}()
	}
	wg.Wait()
	close(addrs)
	seen := map[consensus.Address]bool{}
	for a := range addrs {
		if seen[a] {
			t.Fatalf("address %x handed out twice", a)
		}
		seen[a] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("got %d addresses, want %d", len(seen), workers*each)
	}
}

func TestSignTransfer(t *testing.T) {
	w, _, _ := newTestWallet(t)
	p := consensus.RegtestParams()
	from, err := w.NewAddress("spend")
	if err != nil {
		t.Fatal(err)
	}
	to := consensus.Address{1, 2, 3}
	if _, err := w.SignTransfer(from, to, 5, p.MinTxFee, 0, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("SignTransfer while locked: %v, want ErrLocked", err)
	}
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	tx, err := w.SignTransfer(from, to, 5*consensus.Coin, p.MinTxFee, 3, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.VerifySignature(); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := consensus.CheckTxSanity(tx, p); err != nil {
		t.Fatalf("sanity: %v", err)
	}
	if tx.Sender() != from || tx.To != to || tx.Nonce != 3 || tx.ChainID != p.ChainID || string(tx.Memo) != "hi" {
		t.Fatalf("tx fields wrong: %+v", tx)
	}

	w.mu.Lock()
	poolAddr := w.st.entries[w.st.firstPool()].addr
	w.mu.Unlock()
	for _, tc := range []struct {
		name string
		from consensus.Address
		fee  uint64
		memo []byte
		want error
	}{
		{"unknown address", consensus.Address{9}, p.MinTxFee, nil, ErrUnknownAddress},
		{"unused pool key", poolAddr, p.MinTxFee, nil, ErrUnknownAddress},
		{"fee too low", from, p.MinTxFee - 1, nil, consensus.RuleError{Code: consensus.ErrFeeTooLow}},
		{"memo too long", from, p.MinTxFee, make([]byte, consensus.MaxMemoSize+1), consensus.RuleError{Code: consensus.ErrMemoTooLong}},
	} {
		if _, err := w.SignTransfer(tc.from, to, 1, tc.fee, 0, tc.memo); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestImportDump(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyHex := hex.EncodeToString(priv.Serialize())
	want := addressOf(priv)

	if _, err := w.ImportPrivKey(keyHex, []byte("wrong"), "x"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("import with wrong passphrase: %v", err)
	}
	for _, bad := range []string{"", "abcd", strings.Repeat("zz", 32), strings.Repeat("00", 32), strings.Repeat("ff", 32)} {
		if _, err := w.ImportPrivKey(bad, pass, ""); err == nil {
			t.Errorf("import %q succeeded", bad)
		}
	}
	addr, err := w.ImportPrivKey(keyHex+"\n", pass, "cold")
	if err != nil || addr != want {
		t.Fatalf("import = %x, %v; want %x", addr, err, want)
	}
	if again, err := w.ImportPrivKey(keyHex, pass, "dup"); err != nil || again != want || len(w.Addresses()) != 1 {
		t.Fatalf("re-import: %x, %v, %d addresses", again, err, len(w.Addresses()))
	}
	if info := w.Addresses()[0]; !info.Imported || info.Label != "cold" {
		t.Fatalf("imported info = %+v", info)
	}

	w = reopen(t, w, cfg)
	if _, err := w.DumpPrivKey(want, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("dump with wrong passphrase: %v", err)
	}
	if _, err := w.DumpPrivKey(consensus.Address{7}, pass); !errors.Is(err, ErrUnknownAddress) {
		t.Fatalf("dump unknown: %v", err)
	}
	got, err := w.DumpPrivKey(want, pass)
	if err != nil || got != keyHex {
		t.Fatalf("dump = %q, %v; want %q", got, err, keyHex)
	}

	// A generated key dumped from one wallet imports to the same address elsewhere.
	gen, err := w.NewAddress("")
	if err != nil {
		t.Fatal(err)
	}
	genHex, err := w.DumpPrivKey(gen, pass)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := newTestWallet(t)
	if a, err := other.ImportPrivKey(genHex, pass, ""); err != nil || a != gen {
		t.Fatalf("import into other wallet = %x, %v; want %x", a, err, gen)
	}
	if err := other.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	tx, err := other.SignTransfer(gen, want, 1, cfg.Params.MinTxFee, 0, nil)
	if err != nil || tx.VerifySignature() != nil || tx.Sender() != gen {
		t.Fatalf("sign with imported key: %v", err)
	}
}

func TestNetworkMismatch(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	w.Close()
	cfg.Params = consensus.TestParams()
	_, err := Open(cfg)
	if !errors.Is(err, ErrWrongNetwork) || !strings.Contains(err.Error(), `wallet belongs to network "regtest"`) {
		t.Fatalf("Open with other network: %v", err)
	}
}

func TestClosed(t *testing.T) {
	w, _, _ := newTestWallet(t)
	w.Close()
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := w.NewAddress(""); !errors.Is(err, ErrClosed) {
		t.Errorf("NewAddress: %v", err)
	}
	if err := w.Unlock(pass, time.Minute); !errors.Is(err, ErrClosed) {
		t.Errorf("Unlock: %v", err)
	}
}

func TestFileModesAndContents(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	addr, err := w.NewAddress("") // forces a rewrite
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.Dir, FileName)
	for p, want := range map[string]os.FileMode{path: 0o600, cfg.Dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	key, err := w.DumpPrivKey(addr, pass)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), key) {
		t.Fatal("private key stored in clear")
	}
	var f fileJSON
	if err := json.Unmarshal(b, &f); err != nil || f.Version != fileVersionV1 || f.Network != "regtest" ||
		f.ChainID != cfg.Params.ChainID || f.KDF.N != cheapKDF.N || len(f.KDF.Salt) != saltSize {
		t.Fatalf("file header: %+v, %v", f, err)
	}
}
