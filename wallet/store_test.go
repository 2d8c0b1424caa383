package wallet

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStrayTempFileIgnored(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	addr, err := w.NewAddress("keep")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	// What a crash mid-write leaves: a partial new file and plain garbage.
	good, _ := os.ReadFile(filepath.Join(cfg.Dir, FileName))
	strays := map[string][]byte{
		tempPrefix + "123": good[:len(good)/2],
		tempPrefix + "456": []byte("\x00garbage"),
	}
	for name, data := range strays {
		if err := os.WriteFile(filepath.Join(cfg.Dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w2, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open with stray temp files: %v", err)
	}
	defer w2.Close()
	if !w2.Has(addr) || len(w2.Addresses()) != 1 {
		t.Fatalf("wallet contents changed: %+v", w2.Addresses())
	}
	for name := range strays {
		if _, err := os.Stat(filepath.Join(cfg.Dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not cleaned up: %v", name, err)
		}
	}
	if _, err := w2.NewAddress(""); err != nil {
		t.Fatalf("write after cleanup: %v", err)
	}
}

func TestFailedWriteKeepsState(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	if err := os.RemoveAll(cfg.Dir); err != nil {
		t.Fatal(err)
	}
	before := poolSize(w)
	if _, err := w.NewAddress("lost"); err == nil {
		t.Fatal("NewAddress succeeded without a directory")
	}
	if len(w.Addresses()) != 0 || poolSize(w) != before {
		t.Fatal("in-memory state changed although the write failed")
	}
}

func TestDamagedFile(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	for _, label := range []string{"a", "b"} {
		if _, err := w.NewAddress(label); err != nil {
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
		{"newer version", func(f *fileJSON) { f.Version = 3 }, "format version 3"},
		{"huge scrypt N", func(f *fileJSON) { f.KDF.N = 1 << 30 }, "damaged"},
		{"duplicate key", func(f *fileJSON) { f.Keys[1] = f.Keys[0] }, "appears twice"},
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
		if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open = %v, want %q", tc.name, err, tc.want)
		}
	}

	// Ciphertexts are bound to their address: swapping two entries' keys
	// must not let one address sign with the other's key.
	var f fileJSON
	if err := json.Unmarshal(orig, &f); err != nil {
		t.Fatal(err)
	}
	f.Keys[0].Key, f.Keys[1].Key = f.Keys[1].Key, f.Keys[0].Key
	b, _ := json.Marshal(&f)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	w2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	a := w2.Addresses()[0].Address
	if _, err := w2.DumpPrivKey(a, pass); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("dump of swapped entry: %v", err)
	}
}
