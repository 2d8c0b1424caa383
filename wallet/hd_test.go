package wallet

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/cairn-chain/cairn/consensus"
)

// Vector sources. The 12-word phrase and its keys are BIP-86's published
// test vectors (bips/bip-0086.mediawiki, "internal_key" of m/86'/0'/0'/0/0
// and /0/1). The 24-word phrase is BIP-39's all-zero-entropy vector; its
// keys on Cairn's paths (coin types 1 and 9632) were computed once with an
// independent pure-Python BIP-39/BIP-32 implementation (stdlib hmac,
// pbkdf2 and affine secp256k1 arithmetic), which reproduces BIP-86's two
// published keys above, and are checked in here.
const (
	bip86Mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	zeroMnemonic  = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon " +
		"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"
)

func xonlyHex(t *testing.T, mnemonic string, coin, index uint32) string {
	t.Helper()
	acct, err := accountKeyCoin(seedFromMnemonic(mnemonic), coin)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := acct.Derive(0)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ch.Derive(index)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := k.ECPrivKey()
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(schnorr.SerializePubKey(priv.PubKey()))
}

func TestBIP86Vectors(t *testing.T) {
	for _, tc := range []struct {
		index uint32
		want  string
	}{
		{0, "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115"},
		{1, "83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145"},
	} {
		if got := xonlyHex(t, bip86Mnemonic, 0, tc.index); got != tc.want {
			t.Errorf("m/86'/0'/0'/0/%d: %s, want %s", tc.index, got, tc.want)
		}
	}
}

func TestDerivationPath(t *testing.T) {
	main, test, reg := consensus.MainParams(), consensus.TestParams(), consensus.RegtestParams()
	for _, tc := range []struct {
		params *consensus.Params
		index  uint32
		path   string
		xonly  string
	}{
		{reg, 0, "m/86'/1'/0'/0/0", "662c6fbb7110e0d78e0513ca2127b5c8bd77923b13edc2371c71112929606486"},
		{reg, 1, "m/86'/1'/0'/0/1", "f8a90ddccc764818e07463305edd137b7f5a3cdf65fdd0c270c2e6877f08dbc2"},
		{test, 19, "m/86'/1'/0'/0/19", "bf535ca877c08e743dffc3284fe8962a28bcd6dce09e0a182d6193886909fe1b"},
		{main, 0, "m/86'/9632'/0'/0/0", "bd081f8dd9bc471088195fdad71444c971d3c701e1871775fb29b0a454f1e616"},
	} {
		if got := AddressPath(tc.params, tc.index); got != tc.path {
			t.Errorf("%s %d: path %s, want %s", tc.params.Name, tc.index, got, tc.path)
		}
		var x [32]byte
		b, _ := hex.DecodeString(tc.xonly)
		copy(x[:], b)
		want := consensus.AddressFromPubKey(x)

		// The public chain (what a locked wallet uses) and the private one
		// (what signing uses) must both land on the vector.
		master := make([]byte, keySize)
		hd, err := newHDState(master, seedFromMnemonic(zeroMnemonic), tc.params)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := hd.address(tc.index); err != nil || got != want {
			t.Errorf("%s: public derivation %x, %v; want %x", tc.path, got, err, want)
		}
		priv, err := hd.privKey(master, tc.params, tc.index, want)
		if err != nil {
			t.Fatalf("%s: private derivation: %v", tc.path, err)
		}
		if got := hex.EncodeToString(schnorr.SerializePubKey(priv.PubKey())); got != tc.xonly {
			t.Errorf("%s: private key's x-only key %s, want %s", tc.path, got, tc.xonly)
		}
	}
}

func TestNormalizeMnemonic(t *testing.T) {
	messy := "  " + strings.ToUpper(bip86Mnemonic[:7]) + "\t" + strings.ReplaceAll(bip86Mnemonic[8:], " ", "  ") + "\n"
	if got, err := NormalizeMnemonic(messy); err != nil || got != bip86Mnemonic {
		t.Fatalf("messy phrase: %q, %v", got, err)
	}
	for _, tc := range []struct{ in, want string }{
		{strings.Replace(bip86Mnemonic, "about", "abuot", 1), `word 12 "abuot" is not in the BIP-39`},
		{strings.Replace(bip86Mnemonic, "about", "above", 1), "checksum"},
		{"abandon abandon", "it has 2 words"},
		{"", "it has 0 words"},
	} {
		_, err := NormalizeMnemonic(tc.in)
		if !errors.Is(err, ErrBadMnemonic) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want ErrBadMnemonic mentioning %q", tc.in, err, tc.want)
		}
	}
}

func newHDTestWallet(t *testing.T) (*Wallet, Config, string) {
	t.Helper()
	cfg, _ := testConfig(t)
	w, m, err := CreateHD(cfg, pass)
	if err != nil {
		t.Fatalf("CreateHD: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w, cfg, m
}

func TestCreateHD(t *testing.T) {
	w, cfg, m := newHDTestWallet(t)
	if n := len(strings.Fields(m)); n != MnemonicWords {
		t.Fatalf("mnemonic has %d words, want %d", n, MnemonicWords)
	}
	if _, err := NormalizeMnemonic(m); err != nil {
		t.Fatalf("own mnemonic invalid: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(cfg.Dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range strings.Fields(m)[:3] {
		if strings.Contains(string(raw), `"`+word+`"`) || strings.Contains(string(raw), m) {
			t.Fatalf("wallet file holds the mnemonic in clear")
		}
	}

	// Locked and with no keypool, it still hands out addresses: the xpub.
	if !w.IsLocked() || poolSize(w) != 0 {
		t.Fatalf("new hd wallet: locked %v pool %d", w.IsLocked(), poolSize(w))
	}
	var addrs []consensus.Address
	for i := range 3 {
		a, err := w.NewAddress("")
		if err != nil {
			t.Fatalf("NewAddress %d while locked: %v", i, err)
		}
		addrs = append(addrs, a)
	}
	infos := w.Addresses()
	if len(infos) != 3 || infos[2].HDPath != "m/86'/1'/0'/0/2" || infos[0].Address != addrs[0] {
		t.Fatalf("addresses: %+v", infos)
	}
	if in := w.Info(); !in.HD || in.NextIndex != 3 || in.AccountPath != "m/86'/1'/0'" || !strings.HasPrefix(in.AccountXpub, "xpub") {
		t.Fatalf("info: %+v", in)
	}

	// The addresses are the phrase's: a restore with no lookups agrees.
	used := func(a consensus.Address) (bool, error) { return a == addrs[2], nil }
	cfg2, _ := testConfig(t)
	r, res, err := Restore(cfg2, m, pass, used, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if res.Used != 3 || res.Next != 3 || res.Scanned != 3+DefaultGapLimit {
		t.Fatalf("restore result %+v", res)
	}
	for i, ai := range r.Addresses() {
		if ai.Address != addrs[i] {
			t.Fatalf("restored address %d: %x, want %x", i, ai.Address, addrs[i])
		}
	}

	// Signing derives the key from the sealed seed.
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	p := consensus.RegtestParams()
	tx, err := w.SignTransfer(addrs[1], addrs[0], consensus.Coin, p.MinTxFee, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.VerifySignature(); err != nil || tx.Sender() != addrs[1] {
		t.Fatalf("signature %v, sender %x", err, tx.Sender())
	}
	k1, err := w.DumpPrivKey(addrs[1], pass)
	if err != nil {
		t.Fatal(err)
	}

	// Reopened, the same addresses and keys; the file is version 2.
	w2 := reopen(t, w, cfg)
	if got := w2.Addresses(); len(got) != 3 || got[1].Address != addrs[1] {
		t.Fatalf("reopened: %+v", got)
	}
	if k, err := w2.DumpPrivKey(addrs[1], pass); err != nil || k != k1 {
		t.Fatalf("reopened key: %v", err)
	}
	a4, err := w2.NewAddress("four")
	if err != nil || a4 == addrs[2] {
		t.Fatalf("fourth address %x, %v", a4, err)
	}
	var f fileJSON
	b, _ := os.ReadFile(filepath.Join(cfg.Dir, FileName))
	if err := json.Unmarshal(b, &f); err != nil || f.Version != fileVersionHD || f.HD == nil || f.HD.NextIndex != 4 {
		t.Fatalf("file: %v version %d hd %+v", err, f.Version, f.HD)
	}
	// Imported keys live next to derived ones.
	imp, err := w2.ImportPrivKey(strings.Repeat("42", 32), pass, "imp")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := w2.DumpPrivKey(imp, pass); err != nil || k != strings.Repeat("42", 32) {
		t.Fatalf("imported key in hd wallet: %q %v", k, err)
	}
}

func TestRestoreGapLimit(t *testing.T) {
	w, _, m := newHDTestWallet(t)
	var addrs []consensus.Address
	for range 40 {
		a, err := w.NewAddress("")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	// Used: 1, 5 and 30. With gap 20 the search stops after 25 (20 unused
	// after 5) and misses 30; with gap 30 it finds it.
	usedSet := map[consensus.Address]bool{addrs[1]: true, addrs[5]: true, addrs[30]: true}
	lookups := 0
	used := func(a consensus.Address) (bool, error) { lookups++; return usedSet[a], nil }
	for _, tc := range []struct {
		gap, wantUsed, wantScanned int
	}{
		{20, 6, 26},
		{30, 31, 61},
	} {
		cfg, _ := testConfig(t)
		lookups = 0
		r, res, err := Restore(cfg, m, pass, used, tc.gap)
		if err != nil {
			t.Fatal(err)
		}
		if res.Used != tc.wantUsed || res.Scanned != tc.wantScanned || lookups != tc.wantScanned || len(r.Addresses()) != tc.wantUsed {
			t.Errorf("gap %d: %+v, %d lookups, %d addresses", tc.gap, res, lookups, len(r.Addresses()))
		}
		// The next address continues after the last used one.
		if a, err := r.NewAddress(""); err != nil || a != addrs[tc.wantUsed] {
			t.Errorf("gap %d: next address %x %v, want index %d", tc.gap, a, err, tc.wantUsed)
		}
		r.Close()
	}

	cfg, _ := testConfig(t)
	boom := errors.New("node down")
	if _, _, err := Restore(cfg, m, pass, func(consensus.Address) (bool, error) { return false, boom }, 0); !errors.Is(err, boom) {
		t.Fatalf("lookup failure: %v", err)
	}
	if Exists(cfg.Dir) {
		t.Fatal("a failed restore left a wallet file")
	}
	for _, tc := range []struct {
		mnemonic string
		pass     []byte
		gap      int
		want     error
	}{
		{m, []byte("short"), 0, ErrShortPassphrase},
		{"abandon " + m, pass, 0, ErrBadMnemonic},
	} {
		if _, _, err := Restore(cfg, tc.mnemonic, tc.pass, used, tc.gap); !errors.Is(err, tc.want) {
			t.Errorf("restore: %v, want %v", err, tc.want)
		}
	}
	if _, _, err := Restore(cfg, m, pass, used, MaxGapLimit+1); err == nil || !strings.Contains(err.Error(), "gap limit") {
		t.Errorf("huge gap: %v", err)
	}
}

func TestBackup(t *testing.T) {
	w, cfg, _ := newHDTestWallet(t)
	a, _ := w.NewAddress("alice")
	dir := t.TempDir()
	dst := filepath.Join(dir, "backup.json")
	if err := w.Backup(dst); err != nil {
		t.Fatal(err)
	}
	if err := w.Backup(filepath.Join(cfg.Dir, FileName)); err == nil || !strings.Contains(err.Error(), "live wallet file") {
		t.Fatalf("backup over the live file: %v", err)
	}
	if err := w.Backup(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("backup to a directory: %v", err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", err, fi)
	}
	// The backup opens as a wallet with the same passphrase, addresses and keys.
	restoreDir := filepath.Join(t.TempDir(), "w")
	if err := os.MkdirAll(restoreDir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(dst)
	if err := os.WriteFile(filepath.Join(restoreDir, FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg2 := cfg
	cfg2.Dir = restoreDir
	bw, err := Open(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer bw.Close()
	if got := bw.Addresses(); len(got) != 1 || got[0].Address != a || got[0].Label != "alice" {
		t.Fatalf("backup addresses %+v", got)
	}
	k1, err1 := w.DumpPrivKey(a, pass)
	k2, err2 := bw.DumpPrivKey(a, pass)
	if err1 != nil || err2 != nil || k1 != k2 {
		t.Fatalf("keys differ: %v %v", err1, err2)
	}
}

// A version-1 file written by the release before HD wallets (random keys:
// two handed out, one imported, a three-key pool) still opens and works.
func TestOpenV1File(t *testing.T) {
	cfg, _ := testConfig(t)
	b, err := os.ReadFile("testdata/wallet-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := []string{"rcairn1q8rf9wgf4pm8yrug0gc0c6z34rw46mnmf0z5nff", "rcairn1qjy7wm5pa824v78ul6rqa4dm2vkkqeka98f54h9",
		"rcairn1q9g9huxns474j78wg0qxpkzzzedndjsy28e82w2"}
	got := w.Addresses()
	if len(got) != len(want) || w.Info().HD {
		t.Fatalf("v1 addresses %+v", got)
	}
	for i, ai := range got {
		if ai.Address.Encode("rcairn") != want[i] || ai.HDPath != "" {
			t.Errorf("address %d: %s, want %s", i, ai.Address.Encode("rcairn"), want[i])
		}
	}
	if got[0].Label != "alice" || !got[2].Imported {
		t.Errorf("labels/imported lost: %+v", got)
	}
	if k, err := w.DumpPrivKey(got[2].Address, pass); err != nil || k != strings.Repeat("42", 32) {
		t.Fatalf("imported key: %q %v", k, err)
	}
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SignTransfer(got[0].Address, got[1].Address, 1, consensus.RegtestParams().MinTxFee, 0, nil); err != nil {
		t.Fatalf("sign with a v1 key: %v", err)
	}
	if _, err := w.NewAddress(""); err != nil { // refills the pool: a write
		t.Fatal(err)
	}
	var f fileJSON
	b, _ = os.ReadFile(filepath.Join(cfg.Dir, FileName))
	if err := json.Unmarshal(b, &f); err != nil || f.Version != fileVersionV1 || f.HD != nil {
		t.Fatalf("rewritten v1 wallet: %v version %d", err, f.Version)
	}
}

func TestDamagedHDFile(t *testing.T) {
	w, cfg, _ := newHDTestWallet(t)
	for range 2 {
		if _, err := w.NewAddress(""); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	path := filepath.Join(cfg.Dir, FileName)
	orig, _ := os.ReadFile(path)
	for _, tc := range []struct {
		name   string
		mutate func(f *fileJSON)
		want   string
	}{
		{"swapped index", func(f *fileJSON) { i := uint32(1); f.Keys[0].HDIndex = &i; f.Keys = f.Keys[:1] }, "not the key at hd index"},
		{"index past next", func(f *fileJSON) { f.HD.NextIndex = 1 }, "not below next_index"},
		{"other path", func(f *fileJSON) { f.HD.Path = "m/44'/1'/0'" }, "hd path"},
		{"private xpub", func(f *fileJSON) {
			f.HD.AccountXpub = "xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu"
		}, "public key at depth 3"},
		{"v1 with hd", func(f *fileJSON) { f.Version = 1 }, "hd section"},
		{"key and index", func(f *fileJSON) { f.Keys[0].Key = &sealed{} }, "exactly one of key and hd_index"},
	} {
		var f fileJSON
		if err := json.Unmarshal(orig, &f); err != nil {
			t.Fatal(err)
		}
		tc.mutate(&f)
		b, _ := json.Marshal(&f)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s: %v, want damaged: %s", tc.name, err, tc.want)
		}
	}
}
