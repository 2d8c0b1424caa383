package rpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

func TestAuth(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	body := `{"jsonrpc":"2.0","method":"getblockcount","id":1}`
	cases := []struct {
		name       string
		user, pass string
		noAuth     bool
		status     int
	}{
		{name: "no credentials", noAuth: true, status: http.StatusUnauthorized},
		{name: "wrong cookie", user: cookieUser, pass: strings.Repeat("0", 64), status: http.StatusUnauthorized},
		{name: "wrong user", user: "admin", pass: n.client.Password, status: http.StatusUnauthorized},
		{name: "empty password", user: cookieUser, status: http.StatusUnauthorized},
		{name: "cookie", user: n.client.User, pass: n.client.Password, status: http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, n.client.URL, strings.NewReader(body))
			if !tc.noAuth {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			status, b := do(t, req)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if status == http.StatusUnauthorized {
				if e, _ := decodeError(t, b); e.Code != CodeUnauthorized {
					t.Fatalf("code %d", e.Code)
				}
			}
		})
	}
	t.Run("client reports auth failure", func(t *testing.T) {
		c := *n.client
		c.Password = "wrong"
		err := c.Call(context.Background(), "getblockcount", nil, nil)
		if !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), "--rpc-user") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestCookieLifecycle(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	path := filepath.Join(n.dir, CookieFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("cookie mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !regexp.MustCompile(`^__cookie__:[0-9a-f]{64}$`).Match(b) {
		t.Fatalf("cookie %q", b)
	}
	if err := n.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cookie still there after Shutdown: %v", err)
	}
	if _, _, err := ReadCookie(n.dir); err == nil || !strings.Contains(err.Error(), "node running") {
		t.Fatalf("ReadCookie without cookie: %v", err)
	}
}

func TestClientNodeNotRunning(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	ln.Close() // nothing listens there now
	c := &Client{URL: url, User: "u", Password: "p"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Call(ctx, "getblockcount", nil, nil)
	if !errors.Is(err, ErrNodeNotRunning) || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "cairn node") {
		t.Fatalf("err %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	p := consensus.RegtestParams()
	n := newTestNode(t, nodeOptions{params: p})
	base := Config{DataDir: t.TempDir(), Backend: n.srv.b}
	cases := []struct {
		name string
		mod  func(*Config)
		want string // "" means New succeeds
	}{
		{"defaults", func(*Config) {}, ""},
		{"all interfaces without user", func(c *Config) { c.Addr = "0.0.0.0:0" }, "loopback"},
		{"empty host without user", func(c *Config) { c.Addr = ":9632" }, "loopback"},
		{"public with user", func(c *Config) { c.Addr, c.User, c.Password = "0.0.0.0:0", "u", "p" }, ""},
		{"localhost", func(c *Config) { c.Addr = "localhost:0" }, ""},
		{"user without password", func(c *Config) { c.User = "u" }, "both"},
		{"no data dir for cookie", func(c *Config) { c.DataDir = "" }, "DataDir"},
		{"body too small for a block", func(c *Config) { c.MaxBodyBytes = 1 << 20 }, "block"},
		{"body memory below one body", func(c *Config) { c.MaxBodyMemory = 1 << 20 }, "MaxBodyMemory"},
		{"bad addr", func(c *Config) { c.Addr = "nope" }, "address"},
		{"no chain", func(c *Config) { c.Backend.Chain = nil }, "required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			s, err := New(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New error %v, want one mentioning %q", err, tc.want)
			case tc.want == "" && tc.name == "defaults" && s.Addr() != "127.0.0.1:29632":
				t.Fatalf("default addr %s", s.Addr())
			}
		})
	}
}
