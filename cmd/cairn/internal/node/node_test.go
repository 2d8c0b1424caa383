package node

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(t *testing.T, logs *syncBuffer) Config {
	return Config{
		Params: consensus.RegtestParams(), DataDir: t.TempDir(), RPCAddr: "127.0.0.1:0",
		Listen: []string{"/ip4/127.0.0.1/tcp/0"}, MDNS: "off", MineThreads: 1,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A running node logs a periodic status line, names each component once
// per line, and keeps a pid file (removed on exit) so it can be stopped
// without RPC.
func TestNodeStatusLogAndPIDFile(t *testing.T) {
	logs := &syncBuffer{}
	cfg := testConfig(t, logs)
	cfg.StatusEvery = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	waitFor(t, "a status line", func() bool { return strings.Contains(logs.String(), "msg=status") })

	b, err := os.ReadFile(filepath.Join(cfg.DataDir, PIDFile))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pid file %q, %v; want %d", b, err, os.Getpid())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, PIDFile)); !os.IsNotExist(err) {
		t.Fatalf("pid file left after a clean stop: %v", err)
	}

	var status string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Count(line, "component=") > 1 && !strings.Contains(line, "component=pubsub") {
			t.Errorf("component repeated: %s", line)
		}
		if strings.Contains(line, "msg=status") {
			status = line
		}
	}
	for _, want := range []string{"height=0", "peers=0", "mempool_txs=0", "mempool_bytes=0", "ibd=false"} {
		if !strings.Contains(status, want) {
			t.Errorf("status line %q lacks %s", status, want)
		}
	}
	for _, c := range []string{"component=p2p", "component=rpc"} {
		if !strings.Contains(logs.String(), c) {
			t.Errorf("no %s line at all", c)
		}
	}
}

// A P2P port that another program holds is a startup error naming the
// port and the flag that moves it, not a silently shared port.
func TestP2PPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := testConfig(t, &syncBuffer{})
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/" + strconv.Itoa(port)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = Run(ctx, cfg)
	if err == nil {
		t.Fatal("node started on a taken port")
	}
	for _, want := range []string{"P2P port in use", strconv.Itoa(port), "--listen"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// A paced miner (--mine-duty) still mines real blocks and stops with the node.
func TestPacedMinerMines(t *testing.T) {
	logs := &syncBuffer{}
	cfg := testConfig(t, logs)
	cfg.Mine, cfg.MineDuty = true, 0.3
	cfg.MinerAddress = consensus.AddressFromPubKey([32]byte{7})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	waitFor(t, "two mined blocks", func() bool { return strings.Count(logs.String(), `msg="mined block"`) >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(logs.String(), "duty=0.3") || !strings.Contains(logs.String(), `msg="miner stopped"`) {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// Under a memory limit the mempool shrinks with it (a full 64 MiB pool
// would not fit a 48 MiB node).
func TestMempoolScalesWithMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		limit int64
		want  int
	}{{0, 64 << 20}, {48 << 20, 6 << 20}, {16 << 20, 4 << 20}, {4 << 30, 64 << 20}} {
		if got := mempoolBytes(c.limit); got != c.want {
			t.Errorf("limit %d: mempool %d bytes, want %d", c.limit, got, c.want)
		}
	}
}
