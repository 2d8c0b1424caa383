package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cairn-chain/cairn/testnet"
)

//go:embed assets
var assets embed.FS

// Config configures a Server.
type Config struct {
	Dir    string // testnet directory
	Addr   string // loopback host:port; port 0 picks a free one
	Logger *slog.Logger
	// Interval between status collections (default 1s).
	Interval time.Duration
}

// Server serves the dashboard of one testnet.
type Server struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener
	srv *http.Server

	mu      sync.Mutex
	status  *snapshot
	blocks  []*blockRow
	seconds []second
	txFirst map[string]time.Time
	load    loadState
	actions []actionLog

	actionMu sync.Mutex      // one verb at a time, as from one shell
	ctx      context.Context // Start's: ends background loads
}

type loadState struct {
	Running bool                `json:"running"`
	TPS     float64             `json:"tps"`
	Started time.Time           `json:"started"`
	Report  *testnet.LoadReport `json:"report,omitempty"`
	Error   string              `json:"error,omitempty"`
}

type actionLog struct {
	At    time.Time `json:"at"`
	What  string    `json:"what"`
	Error string    `json:"error,omitempty"`
	Took  float64   `json:"took_ms"`
}

// snapshot is the collected status of the network.
type snapshot struct {
	Name       string                        `json:"name"`
	Collected  time.Time                     `json:"collected"`
	Nodes      []testnet.NodeStatus          `json:"nodes"`
	Edges      [][2]int                      `json:"edges"` // the topology
	Links      [][2]int                      `json:"links"` // live connections
	Conditions map[string]testnet.Conditions `json:"conditions,omitempty"`
}

// New checks cfg; Start serves.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard address %q: %w (want host:port, e.g. 127.0.0.1:8090)", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		// Its buttons kill nodes and it has no login: loopback only.
		return nil, fmt.Errorf("dashboard address %q: must be a loopback address (127.0.0.1, ::1)", cfg.Addr)
	}
	if _, err := testnet.Open(cfg.Dir); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, log: cfg.Logger.With("component", "dashboard"), txFirst: map[string]time.Time{}}, nil
}

// Start listens and collects until ctx ends.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	s.ln, s.ctx = ln, ctx
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", s.handleState)
	mux.HandleFunc("POST /api/action", s.handleAction)
	s.srv = &http.Server{Handler: s.guard(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	n, err := testnet.Open(s.cfg.Dir)
	if err != nil {
		return err
	}
	for i := range n.State.Nodes {
		go s.watch(ctx, n, i)
	}
	go s.collectLoop(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	}()
	return nil
}

// URL is where the dashboard is served.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// guard refuses requests whose Host is not loopback (DNS rebinding) and
// actions not sent as JSON by the page itself (a cross-site form cannot
// set that content type without a CORS preflight, which is never granted).
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "dashboard: loopback host only", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "dashboard: actions must be application/json", http.StatusUnsupportedMediaType)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) collectLoop(ctx context.Context) {
	for ctx.Err() == nil {
		s.collect(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(s.cfg.Interval):
		}
	}
}

// collect re-reads testnet.json (the CLI may have started or killed nodes
// meanwhile) and asks every node for its status and peers.
func (s *Server) collect(ctx context.Context) {
	n, err := testnet.Open(s.cfg.Dir)
	if err != nil {
		if _, serr := os.Stat(filepath.Join(s.cfg.Dir, testnet.StateFile)); errors.Is(serr, os.ErrNotExist) {
			s.log.Info("testnet destroyed")
		}
		return
	}
	snap := &snapshot{Name: n.State.Name, Nodes: n.Status(ctx), Edges: n.State.Edges, Collected: time.Now()}
	byID := map[string]int{}
	for i, ns := range n.State.Nodes {
		byID[ns.PeerID] = i
	}
	for i, st := range snap.Nodes {
		if !st.Running {
			continue
		}
		var peers []struct {
			ID string `json:"id"`
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := n.Call(cctx, i, "getpeerinfo", []any{}, &peers)
		cancel()
		if err != nil {
			continue
		}
		for _, p := range peers {
			if j, ok := byID[p.ID]; ok && j > i {
				snap.Links = append(snap.Links, [2]int{i, j})
			} else if ok && j < i && !slices.Contains(snap.Links, [2]int{j, i}) {
				snap.Links = append(snap.Links, [2]int{j, i})
			}
		}
	}
	if n.Conditioned() {
		if c, err := n.ReadConditions(); err == nil {
			snap.Conditions = c.Nodes
		}
	}
	s.mu.Lock()
	s.status = snap
	s.mu.Unlock()
}

func (s *Server) handleState(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	b, err := json.Marshal(struct {
		Status  *snapshot   `json:"status"`
		Blocks  []*blockRow `json:"blocks"`
		Seconds []second    `json:"seconds"`
		Load    loadState   `json:"load"`
		Actions []actionLog `json:"actions"`
		Now     time.Time   `json:"now"`
	}{s.status, s.blocks, s.seconds, s.load, s.actions, time.Now()})
	s.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
