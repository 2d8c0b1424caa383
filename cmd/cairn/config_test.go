package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bad config line is refused with its file:line and what would be valid.
func TestConfigFileErrors(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"verify-blocks = -5", []string{":2:", "verify-blocks", "from 0 to"}},
		{"mdns = maybe", []string{":2:", "on, off, auto"}},
		{"log-format = xml", []string{":2:", "text, json"}},
		{"network = mars", []string{":2:", "main, test, regtest"}},
		{"mine-duty = 1.5", []string{":2:", "at most 1"}},
		{"mem-limit = lots", []string{":2:", "48MiB"}},
		{"verfy-blocks = 3", []string{":2:", "unknown setting", "did you mean verify-blocks"}},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "cairn.conf")
		if err := os.WriteFile(path, []byte("# test\n"+c.line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := applyConfigFile(path, newNodeCmd().Flags(), true)
		if err == nil {
			t.Errorf("%q accepted", c.line)
			continue
		}
		for _, w := range append(c.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", c.line, err, w)
			}
		}
	}
}

func TestConfigFileApplies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cairn.conf")
	conf := "network = testnet\nverify-blocks = 0\nmine-duty = 0.25\nmem-limit = 48MiB\nmdns = OFF\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := newNodeCmd().Flags()
	if err := fs.Set("verify-blocks", "9"); err != nil { // the command line wins
		t.Fatal(err)
	}
	if err := applyConfigFile(path, fs, true); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{"network": "test", "verify-blocks": "9", "mine-duty": "0.25", "mem-limit": "48MiB", "mdns": "off"} {
		if got := fs.Lookup(flag).Value.String(); got != want {
			t.Errorf("%s = %q, want %q", flag, got, want)
		}
	}
	if err := fs.Set("verify-blocks", "-1"); err == nil {
		t.Error("--verify-blocks -1 accepted on the command line")
	}
}
