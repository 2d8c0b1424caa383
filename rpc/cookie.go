package rpc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
)

// CookieFile is the cookie's name inside the data directory.
const CookieFile = ".cookie"

// cookieUser is the user name of cookie auth, as bitcoind's.
const cookieUser = "__cookie__"

// writeCookie writes "__cookie__:<64 hex>" with mode 0600 through a rename,
// so a client never reads half a cookie.
func writeCookie(dir string) (pass, path string, err error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	pass = hex.EncodeToString(secret)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	path = filepath.Join(dir, CookieFile)
	// Atomic (renameio): a client never reads a half-written cookie.
	if err := renameio.WriteFile(path, []byte(cookieUser+":"+pass), 0o600); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	return pass, path, nil
}

// ReadCookie returns the credentials a running node wrote to dataDir.
func ReadCookie(dataDir string) (user, pass string, err error) {
	path := filepath.Join(dataDir, CookieFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("no rpc cookie at %s: is the node running with this --datadir? (or pass --rpc-user/--rpc-password): %w", path, err)
	}
	if err != nil {
		return "", "", fmt.Errorf("read rpc cookie: %w", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || user == "" || pass == "" {
		return "", "", fmt.Errorf("rpc cookie %s is malformed: restart the node to rewrite it", path)
	}
	return user, pass, nil
}

// URLFile, in the data directory while the node runs, holds the RPC URL it
// serves, so `cairn ... --datadir DIR` reaches a node on any --rpc-addr
// (a testnet node, say) without --rpc-url.
const URLFile = "rpc.url"

func writeURLFile(dataDir string, addr net.Addr) (string, error) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1" // listening on all interfaces: reach it locally
	}
	path := filepath.Join(dataDir, URLFile)
	return path, renameio.WriteFile(path, []byte("http://"+net.JoinHostPort(host, port)+"\n"), 0o600)
}

// ReadURLFile returns the RPC URL a running node wrote to dataDir, or "".
func ReadURLFile(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, URLFile))
	if err != nil || len(b) > 200 {
		return ""
	}
	u := strings.TrimSpace(string(b))
	if !strings.HasPrefix(u, "http://") {
		return ""
	}
	return u
}
