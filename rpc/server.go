package rpc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// Defaults applied by New; see also body.go (DefaultMaxBody and the body
// read limits).
const (
	DefaultReadTimeout   = 30 * time.Second
	DefaultWriteTimeout  = 5 * time.Minute // generatetoaddress runs inside it
	DefaultMaxConcurrent = 64
)

// defaultBusyWait is how long a request waits for a free slot before it is
// refused as busy.
const defaultBusyWait = 5 * time.Second

// Config configures a Server.
type Config struct {
	// Addr is host:port; default 127.0.0.1:<Params.DefaultRPCPort>. Port 0
	// picks a free port (see Server.Addr).
	Addr string
	// DataDir is where cookie auth writes .cookie.
	DataDir string
	// User and Password, if set, replace cookie auth. They are required for
	// a non-loopback Addr.
	User, Password string
	Logger         *slog.Logger
	// MaxBodyBytes bounds a request body; it must fit a maximum-size block
	// in hex (submitblock). Default DefaultMaxBody(Params).
	MaxBodyBytes int64
	// MaxBodyMemory bounds the bytes of all bodies larger than 64 KiB held
	// at once, read or being served; default 4 x MaxBodyBytes. Smaller
	// bodies are bounded by MaxBodyReads and MaxConcurrent instead.
	MaxBodyMemory int64
	// MaxBodyReads bounds requests being read or waiting for a work slot;
	// default DefaultMaxBodyReads.
	MaxBodyReads int
	// BodyTimeout and MinBodyRate cut off a client that sends its body too
	// slowly: after BodyTimeout it must have sent MinBodyRate bytes per
	// second since the body began. Defaults DefaultBodyTimeout and
	// DefaultMinBodyRate.
	BodyTimeout time.Duration
	MinBodyRate int64
	// ReadTimeout bounds reading a whole request, headers and body.
	ReadTimeout time.Duration
	// WriteTimeout bounds a whole request, handler included.
	WriteTimeout time.Duration
	// MaxConcurrent bounds requests in progress; more wait briefly, then
	// get a "server busy" error.
	MaxConcurrent int
	Backend       Backend
	Now           func() time.Time
	// Observe, if set, is told every call's method, JSON-RPC error code
	// (0 for success) and duration, for metrics.
	Observe func(method string, code int, d time.Duration)
	// Hub, if set, serves subscribe over websocket (see ws.go).
	Hub *Hub
	// MaxWebSockets bounds open websocket connections (default
	// DefaultMaxWebSockets); WSWriteTimeout is how long one write to a
	// client may block before it is dropped (default DefaultWSWriteTimeout).
	MaxWebSockets  int
	WSWriteTimeout time.Duration
}

// Server serves JSON-RPC 2.0 over HTTP POST at "/", and over a websocket
// (with subscriptions) when the request asks for an upgrade.
type Server struct {
	cfg       Config
	b         Backend
	log       *slog.Logger
	groups    []group
	methods   map[string]*method
	sem       chan struct{} // work slots
	admission chan struct{} // requests being read or waiting for a work slot
	bodyBytes *semaphore.Weighted
	busyWait  time.Duration

	mu         sync.Mutex
	srv        *http.Server
	ln         net.Listener
	userHash   [32]byte
	passHash   [32]byte
	cookiePath string // set while a cookie written by Start exists
	urlPath    string // set while the URL file written by Start exists

	closing bool                   // Shutdown began: no new websockets
	wsConns map[*wsClient]struct{} // open websockets, closed by Shutdown
	wsWG    sync.WaitGroup

	sendMu sync.Mutex // one wallet send at a time, so two never pick the same nonce
	fees   feeCache
}

// New validates cfg and builds a Server; Start begins listening.
func New(cfg Config) (*Server, error) {
	b := cfg.Backend
	if b.Params == nil || b.Chain == nil || b.Mempool == nil {
		return nil, errors.New("rpc: Backend.Params, Chain and Mempool are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Addr == "" {
		cfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.Params.DefaultRPCPort))
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBody(b.Params)
	}
	// Hex doubles a block; leave room for the JSON around it.
	if need := int64(2*b.Params.MaxBlockSize + 4096); cfg.MaxBodyBytes < need {
		return nil, fmt.Errorf("rpc: MaxBodyBytes %d cannot hold a maximum-size block in hex (%d bytes)", cfg.MaxBodyBytes, need)
	}
	if cfg.MaxBodyMemory == 0 {
		cfg.MaxBodyMemory = 4 * cfg.MaxBodyBytes
	}
	if cfg.MaxBodyMemory < cfg.MaxBodyBytes {
		return nil, fmt.Errorf("rpc: MaxBodyMemory %d is below MaxBodyBytes %d: a maximum-size body could never be read", cfg.MaxBodyMemory, cfg.MaxBodyBytes)
	}
	if cfg.MaxBodyReads <= 0 {
		cfg.MaxBodyReads = DefaultMaxBodyReads
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.MinBodyRate <= 0 {
		cfg.MinBodyRate = DefaultMinBodyRate
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.MaxWebSockets <= 0 {
		cfg.MaxWebSockets = DefaultMaxWebSockets
	}
	if cfg.WSWriteTimeout <= 0 {
		cfg.WSWriteTimeout = DefaultWSWriteTimeout
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return nil, errors.New("rpc: set both the rpc user and password, or neither to use cookie auth")
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("rpc: listen address %q: %w", cfg.Addr, err)
	}
	if !isLoopback(host) && cfg.User == "" {
		return nil, fmt.Errorf("rpc: listening on %s, which is not a loopback address, requires an explicit rpc user and password (cookie auth is for local clients only)", cfg.Addr)
	}
	if cfg.User == "" && cfg.DataDir == "" {
		return nil, errors.New("rpc: cookie auth needs a DataDir (or set an rpc user and password)")
	}
	s := &Server{
		cfg: cfg, b: b, log: cfg.Logger.With("component", "rpc"),
		sem:       make(chan struct{}, cfg.MaxConcurrent),
		admission: make(chan struct{}, cfg.MaxBodyReads),
		bodyBytes: semaphore.NewWeighted(cfg.MaxBodyMemory),
		busyWait:  defaultBusyWait,
	}
	if cfg.User != "" {
		s.setCredentials(cfg.User, cfg.Password)
	}
	s.buildTable()
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// setCredentials stores hashes so the comparison is constant-time whatever
// the lengths.
func (s *Server) setCredentials(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userHash = sha256.Sum256([]byte(user))
	s.passHash = sha256.Sum256([]byte(pass))
}

// Start listens on cfg.Addr, writes the auth cookie if no user is
// configured, and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("rpc: server already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("rpc: listen on %s: %w (is another node running? change --rpc-addr)", s.cfg.Addr, err)
	}
	if s.cfg.User == "" {
		pass, path, err := writeCookie(s.cfg.DataDir)
		if err != nil {
			ln.Close()
			return err
		}
		s.userHash = sha256.Sum256([]byte(cookieUser))
		s.passHash = sha256.Sum256([]byte(pass))
		s.cookiePath = path
	}
	s.ln = ln
	if s.cfg.DataDir != "" {
		// Clients given only --datadir find a node on a non-default port.
		if path, err := writeURLFile(s.cfg.DataDir, ln.Addr()); err != nil {
			s.log.Warn("could not write the rpc url file", "err", err)
		} else {
			s.urlPath = path
		}
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func(srv *http.Server) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("rpc server stopped", "err", err)
		}
	}(s.srv)
	s.log.Info("rpc listening", "addr", ln.Addr().String(), "cookie_auth", s.cfg.User == "")
	return nil
}

// Shutdown stops accepting requests, waits for running ones until ctx
// ends, and removes the cookie.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, path, urlPath := s.srv, s.cookiePath, s.urlPath
	s.cookiePath, s.urlPath = "", ""
	s.mu.Unlock()
	if urlPath != "" {
		_ = os.Remove(urlPath)
	}
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	// Hijacked websocket connections are not the http.Server's any more.
	if werr := s.closeWebSockets(ctx); err == nil {
		err = werr
	}
	if path != "" {
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = fmt.Errorf("rpc: remove cookie: %w", rerr)
		}
	}
	return err
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

// ServeHTTP authenticates, bounds and decodes a request and answers every
// call in it. Every error path writes a JSON-RPC error body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("rpc request panicked", "panic", p)
			writeJSON(w, http.StatusInternalServerError, errorResponse(nil, newError(CodeInternal, "internal error")))
		}
	}()
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="cairn-rpc"`)
		writeJSON(w, http.StatusUnauthorized, errorResponse(nil, newError(CodeUnauthorized, "unauthorized: missing or wrong rpc credentials")))
		return
	}
	if isWebSocket(r) {
		s.serveWS(w, r, wsPolicy{})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorResponse(nil, newError(CodeInvalidRequest, "invalid request: use HTTP POST with a JSON-RPC 2.0 body")))
		return
	}
	// The body is read before a work slot is taken: a slow client then
	// holds an admission slot and what it sent, never a work slot.
	if !s.admit(r.Context()) {
		refuse(w, busy("too many requests being read"))
		return
	}
	admitted := true
	defer func() {
		if admitted {
			<-s.admission
		}
	}()
	body, release, berr := s.readBody(w, r)
	defer release()
	if berr != nil {
		refuse(w, berr)
		return
	}
	if !acquireSlot(r.Context(), s.sem, s.busyWait) {
		refuse(w, busy("too many concurrent requests"))
		return
	}
	defer func() { <-s.sem }()
	<-s.admission
	admitted = false

	calls, batch, derr := decodeRequest(body)
	if derr != nil {
		writeJSON(w, http.StatusOK, errorResponse(nil, derr))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
	defer cancel()
	var (
		out    []response
		afters []func()
	)
	pre := s.newPresubmitter(calls) // sendrawtransaction runs as one batch
	for i, c := range calls {
		resp, respond, after := s.execute(pre.context(ctx, i), c)
		if respond {
			out = append(out, resp)
		}
		if after != nil {
			afters = append(afters, after)
		}
	}
	switch {
	case len(out) == 0:
		w.WriteHeader(http.StatusNoContent) // only notifications
	case batch:
		writeJSON(w, http.StatusOK, out)
	default:
		writeJSON(w, http.StatusOK, out[0])
	}
	if len(afters) > 0 {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	for _, f := range afters {
		f()
	}
}

// refuse answers a request whose body was not (fully) read; the connection
// is closed since unread body bytes may follow.
func refuse(w http.ResponseWriter, e *bodyError) {
	w.Header().Set("Connection", "close")
	writeJSON(w, e.status, errorResponse(nil, e.err))
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	s.mu.Lock()
	wantUser, wantPass := s.userHash, s.passHash
	s.mu.Unlock()
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	// Both comparisons always run, so timing does not tell which was wrong.
	return subtle.ConstantTimeCompare(u[:], wantUser[:])&subtle.ConstantTimeCompare(p[:], wantPass[:]) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Responses hold pre-marshalled results, so this cannot happen.
		status = http.StatusInternalServerError
		b = []byte(`{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error: encode response"},"id":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
