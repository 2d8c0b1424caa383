package explorer

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var assets embed.FS

// Config configures a Server.
type Config struct {
	// Addr is host:port; port 0 picks a free one (see Server.Addr).
	Addr string
	// API serves /api: rpc.Server.PublicHandler.
	API http.Handler
	// Authorized reports whether a request carries the RPC credentials
	// (rpc.Server.Authorized); the peers page needs them.
	Authorized func(*http.Request) bool
	// Credentials says the RPC user and password are set explicitly, which
	// a non-loopback Addr requires, as for RPC.
	Credentials bool
	Logger      *slog.Logger
}

// Server is the explorer's HTTP server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	loopback bool

	mu  sync.Mutex
	srv *http.Server
	ln  net.Listener
}

// New checks cfg; Start listens.
func New(cfg Config) (*Server, error) {
	if cfg.API == nil || cfg.Authorized == nil {
		return nil, errors.New("explorer: API and Authorized are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("explorer: --http address %q: %w (want host:port, e.g. 127.0.0.1:8080)", cfg.Addr, err)
	}
	loop := isLoopback(host)
	if !loop && !cfg.Credentials {
		return nil, fmt.Errorf("explorer: --http %s is not a loopback address: set --rpc-user and --rpc-password first (the peers page uses them), or listen on 127.0.0.1", cfg.Addr)
	}
	return &Server{cfg: cfg, log: cfg.Logger.With("component", "explorer"), loopback: loop}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("explorer: already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("explorer: listen on %s: %w (change --http)", s.cfg.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	go func(srv *http.Server) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("explorer stopped", "err", err)
		}
	}(s.srv)
	s.log.Info("explorer listening", "url", "http://"+ln.Addr().String()+"/")
	return nil
}

// Addr is the bound address once started, else the configured one.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.cfg.Addr
}

// Shutdown stops the server. Websockets under /api belong to the RPC
// server, which closes them in its own Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// pages are the paths the single-page app renders from location.pathname.
var pages = []string{"/", "/block/", "/tx/", "/address/", "/mempool"}

// Handler routes requests: /api to the RPC read-only interface, /static/
// to the embedded assets, every page path to index.html.
func (s *Server) Handler() http.Handler {
	static, _ := fs.Sub(assets, "assets")
	index, _ := fs.ReadFile(static, "index.html")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	page := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.loopback && !loopbackHost(r.Host) {
			http.Error(w, "explorer: this server answers only to a loopback host name (127.0.0.1, [::1] or localhost)", http.StatusMisdirectedRequest)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		p := r.URL.Path
		switch {
		case p == "/api":
			s.cfg.API.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/static/"):
			files.ServeHTTP(w, r)
		case p == "/peers":
			if !s.cfg.Authorized(r) {
				h.Set("WWW-Authenticate", `Basic realm="cairn-rpc"`)
				http.Error(w, "the peers page needs the node's RPC credentials (--rpc-user/--rpc-password, or user __cookie__ with the password in <datadir>/.cookie)", http.StatusUnauthorized)
				return
			}
			page(w)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case isPage(p):
			page(w)
		default:
			http.NotFound(w, r)
		}
	})
}

func isPage(p string) bool {
	for _, pg := range pages {
		if p == pg || (strings.HasSuffix(pg, "/") && pg != "/" && strings.HasPrefix(p, pg) && len(p) > len(pg)) {
			return true
		}
	}
	return false
}

// loopbackHost reports whether a Host header names this machine; anything
// else on a loopback listener is a DNS rebinding attempt or a mistake.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return isLoopback(host) || strings.EqualFold(host, "localhost")
}
