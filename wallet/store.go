package wallet

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/google/renameio/v2"
)

// FileName is the keystore's name inside Config.Dir.
const FileName = "wallet.json"

// File format versions. Version 1 holds random keys only; version 2 adds
// the HD seed ("hd") and derived keys ("hd_index" instead of "key"). A
// wallet without a seed is still written as version 1, so an older release
// can keep reading it; every release reads both.
const (
	fileVersionV1 = 1
	fileVersionHD = 2
)

// tempPrefix names in-progress writes (renameio's "."+name+random); any
// found on Open are crash leftovers.
const tempPrefix = "." + FileName

// fileJSON is the on-disk keystore. Only ciphertexts, salts, public keys
// and metadata are stored in clear.
type fileJSON struct {
	Version   int       `json:"version"`
	Network   string    `json:"network"`
	ChainID   uint32    `json:"chain_id"`
	KDF       kdfJSON   `json:"kdf"`
	MasterKey sealed    `json:"master_key"`
	HD        *hdJSON   `json:"hd,omitempty"`
	Keys      []keyJSON `json:"keys"`
}

// hdJSON is the HD key chain. The account xpub is in clear so addresses
// can be derived while the wallet is locked; it cannot spend.
type hdJSON struct {
	Path        string `json:"path"` // AccountPath, checked on open
	Seed        sealed `json:"seed"`
	AccountXpub string `json:"account_xpub"`
	NextIndex   uint32 `json:"next_index"` // receiving index NewAddress derives next
}

type kdfJSON struct {
	Name string   `json:"name"`
	N    int      `json:"n"`
	R    int      `json:"r"`
	P    int      `json:"p"`
	Salt hexBytes `json:"salt"`
}

type keyJSON struct {
	Address   string    `json:"address"`
	Key       *sealed   `json:"key,omitempty"`      // random or imported key, sealed
	HDIndex   *uint32   `json:"hd_index,omitempty"` // or: derived at AccountPath/0/HDIndex
	Label     string    `json:"label,omitempty"`
	Imported  bool      `json:"imported,omitempty"`
	Pool      bool      `json:"pool,omitempty"` // pre-generated, not yet handed out
	CreatedAt time.Time `json:"created_at"`
}

// hexBytes is []byte as a hex JSON string, readable when inspecting a file.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexBytes) UnmarshalText(b []byte) error {
	out := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(out, b); err != nil {
		return fmt.Errorf("not hex: %w", err)
	}
	*h = out
	return nil
}

// entry is one key in memory; Pool keys are not yet visible to callers.
// An HD entry has no sealed key: it is derived from the seed at hdIndex.
type entry struct {
	addr      consensus.Address
	key       sealed
	hd        bool
	hdIndex   uint32
	label     string
	imported  bool
	pool      bool
	createdAt time.Time
}

// state is everything the file holds, so a change can be built on a copy
// and only installed once it is on disk.
type state struct {
	kdf     KDFParams
	salt    []byte
	master  sealed
	hd      *hdState // nil for a wallet of random keys
	entries []entry
}

func (s *state) encode(p *consensus.Params) ([]byte, error) {
	f := fileJSON{
		Version: fileVersionV1, Network: p.Name, ChainID: p.ChainID,
		KDF:       kdfJSON{Name: "scrypt", N: s.kdf.N, R: s.kdf.R, P: s.kdf.P, Salt: s.salt},
		MasterKey: s.master,
		Keys:      make([]keyJSON, len(s.entries)),
	}
	if s.hd != nil {
		f.Version = fileVersionHD
		f.HD = &hdJSON{Path: AccountPath(p), Seed: s.hd.seed, AccountXpub: s.hd.xpub, NextIndex: s.hd.next}
	}
	for i, e := range s.entries {
		f.Keys[i] = keyJSON{
			Address: e.addr.Encode(p.AddressHRP), Label: e.label,
			Imported: e.imported, Pool: e.pool, CreatedAt: e.createdAt.UTC(),
		}
		if e.hd {
			f.Keys[i].HDIndex = &e.hdIndex
		} else {
			f.Keys[i].Key = &e.key
		}
	}
	return json.MarshalIndent(&f, "", "  ")
}

// decodeState parses and checks a keystore; path only labels errors.
func decodeState(path string, b []byte, p *consensus.Params) (*state, error) {
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s: the wallet file is damaged, restore it from a backup", path, fmt.Sprintf(format, args...))
	}
	var f fileJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, damaged("%v", err)
	}
	if f.Version != fileVersionV1 && f.Version != fileVersionHD {
		return nil, fmt.Errorf("%s: wallet format version %d, this release reads versions %d and %d: use a newer cairn release",
			path, f.Version, fileVersionV1, fileVersionHD)
	}
	if f.Network != p.Name || f.ChainID != p.ChainID {
		return nil, wrongNetwork(path, f.Network, f.ChainID, p)
	}
	k := KDFParams{N: f.KDF.N, R: f.KDF.R, P: f.KDF.P}
	if f.KDF.Name != "scrypt" {
		return nil, damaged("unknown kdf %q", f.KDF.Name)
	}
	if err := k.validate(); err != nil {
		return nil, damaged("%v", err)
	}
	if len(f.KDF.Salt) != saltSize {
		return nil, damaged("salt is %d bytes, want %d", len(f.KDF.Salt), saltSize)
	}
	st := &state{kdf: k, salt: f.KDF.Salt, master: f.MasterKey, entries: make([]entry, 0, len(f.Keys))}
	if (f.HD != nil) != (f.Version == fileVersionHD) {
		return nil, damaged("version %d with hd section %v", f.Version, f.HD != nil)
	}
	if f.HD != nil {
		if f.HD.Path != AccountPath(p) {
			return nil, damaged("hd path %q, want %q for network %s", f.HD.Path, AccountPath(p), p.Name)
		}
		hd, err := parseHD(f.HD.Seed, f.HD.AccountXpub, f.HD.NextIndex)
		if err != nil {
			return nil, damaged("%v", err)
		}
		st.hd = hd
	}
	seen := make(map[consensus.Address]bool, len(f.Keys))
	for i, kj := range f.Keys {
		addr, err := consensus.DecodeAddress(kj.Address, p.AddressHRP)
		if err != nil {
			return nil, damaged("key %d: %v", i, err)
		}
		if seen[addr] {
			return nil, damaged("address %s appears twice", kj.Address)
		}
		seen[addr] = true
		e := entry{addr: addr, label: kj.Label, imported: kj.Imported, pool: kj.Pool, createdAt: kj.CreatedAt}
		switch {
		case kj.Key != nil && kj.HDIndex == nil:
			e.key = *kj.Key
		case kj.Key == nil && kj.HDIndex != nil && st.hd != nil && !kj.Pool && !kj.Imported:
			// Derive it again: an edited index or address must not pass.
			e.hd, e.hdIndex = true, *kj.HDIndex
			if e.hdIndex >= st.hd.next {
				return nil, damaged("key %d: hd index %d is not below next_index %d", i, e.hdIndex, st.hd.next)
			}
			if got, err := st.hd.address(e.hdIndex); err != nil || got != addr {
				return nil, damaged("key %d: %s is not the key at hd index %d", i, kj.Address, e.hdIndex)
			}
		default:
			return nil, damaged("key %d: want exactly one of key and hd_index (hd_index only in an hd wallet)", i)
		}
		st.entries = append(st.entries, e)
	}
	return st, nil
}

// writeFileAtomic replaces dir/FileName with data (renameio: temp file in
// the same directory, fsync, rename, fsync of the directory), or with
// noClobber creates it only if absent (a hard link of the synced temp file,
// which fails if the name exists, so two concurrent creates cannot
// overwrite each other). A crash at any point leaves the old file or the
// new one, never a mix.
func writeFileAtomic(dir string, data []byte, noClobber bool) error {
	return writeAtomic(filepath.Join(dir, FileName), data, noClobber)
}

// writeAtomic is writeFileAtomic for any path (backups).
func writeAtomic(final string, data []byte, noClobber bool) error {
	dir := filepath.Dir(final)
	t, err := renameio.TempFile(dir, final)
	if err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	defer t.Cleanup()
	if err := t.Chmod(0o600); err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	if _, err := t.Write(data); err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	if !noClobber {
		if err := t.CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("write wallet: %w", err)
		}
		return syncDir(dir)
	}
	if err := t.Sync(); err != nil {
		return fmt.Errorf("write wallet: fsync: %w", err)
	}
	if err := os.Link(t.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", final, ErrWalletExists)
		}
		return fmt.Errorf("write wallet: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename durable: it lives in the directory's entries.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("write wallet: fsync directory: %w", err)
	}
	return nil
}

// removeTemps deletes leftovers of writes interrupted by a crash. They are
// never the live keystore: the rename that would have made them so did not
// happen.
func removeTemps(dir string, log *slog.Logger) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return // Open or Create reports the unreadable directory
	}
	for _, de := range ents {
		if !strings.HasPrefix(de.Name(), tempPrefix) {
			continue
		}
		n := filepath.Join(dir, de.Name())
		if err := os.Remove(n); err != nil {
			log.Warn("could not remove interrupted wallet write", "file", n, "err", err)
			continue
		}
		log.Info("removed interrupted wallet write", "file", n)
	}
}

// Exists reports whether dir holds a wallet file.
func Exists(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, FileName))
	return err == nil && fi.Mode().IsRegular()
}
