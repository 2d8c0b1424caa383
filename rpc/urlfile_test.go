package rpc

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The URL file is read by every client given a data dir: anything that is
// not a short http URL is ignored (the client falls back to the default).
func TestURLFile(t *testing.T) {
	dir := t.TempDir()
	if got := ReadURLFile(dir); got != "" {
		t.Fatalf("missing file: %q", got)
	}
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 29999}
	if _, err := writeURLFile(dir, addr); err != nil {
		t.Fatal(err)
	}
	if got := ReadURLFile(dir); got != "http://127.0.0.1:29999" {
		t.Fatalf("all-interfaces listener: %q, want the loopback URL", got)
	}
	for name, content := range map[string]string{
		"huge":     "http://" + strings.Repeat("a", 1000),
		"not http": "file:///etc/passwd",
		"garbage":  "\x00\x01\x02",
		"empty":    "",
	} {
		if err := os.WriteFile(filepath.Join(dir, URLFile), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := ReadURLFile(dir); got != "" {
			t.Errorf("%s: %q, want ignored", name, got)
		}
	}
}
