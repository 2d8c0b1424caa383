package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Close codes the server uses: a client that cannot keep up is told so
// with a policy violation and a reason; a stopping node says it is going.
const (
	closeSlow     = websocket.StatusPolicyViolation
	closeShutdown = websocket.StatusGoingAway
)

// Websocket timing. A write that blocks this long means the client stopped
// reading; pings find clients that vanished without closing.
const (
	DefaultWSWriteTimeout = 10 * time.Second
	wsPingInterval        = 30 * time.Second
)

// wsClient is one websocket connection. out is its bounded queue: the hub
// and the call handlers only ever enqueue, and a writer goroutine drains it.
type wsClient struct {
	remote string
	out    chan []byte
	done   chan struct{} // closed by stop
	once   sync.Once
	code   websocket.StatusCode
	reason string

	subs    map[string]*subscription // guarded by Hub.mu
	nextSub uint64                   // guarded by Hub.mu
}

// stop asks the writer to close the connection with code and reason; only
// the first call counts, and it reports true.
func (c *wsClient) stop(code websocket.StatusCode, reason string) bool {
	first := false
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.done)
		first = true
	})
	return first
}

// wsPolicy says which methods a connection may call: all of them on the
// RPC port (authenticated), the read-only set on the explorer.
type wsPolicy struct {
	public bool // explorer: only publicMethods, and peerMethods if authed
	authed bool
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// serveWS upgrades r and serves JSON-RPC calls and subscriptions on it
// until either side closes.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, pol wsPolicy) {
	c := &wsClient{remote: r.RemoteAddr, out: make(chan []byte, s.hubQueueLen()), done: make(chan struct{}), subs: map[string]*subscription{}}
	if !s.addWS(c) {
		writeJSON(w, http.StatusServiceUnavailable, errorResponse(nil, newError(CodeInternal, "server busy: too many websocket connections (max %d)", s.cfg.MaxWebSockets)))
		return
	}
	defer s.removeWS(c)
	// The HTTP server's read and write timeouts stay on a hijacked
	// connection: clear them, the websocket has its own.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// Accept refuses a browser Origin other than the page's own host, so
	// another web site cannot ride on a browser's cached credentials.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		s.log.Debug("websocket upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	conn.SetReadLimit(s.cfg.MaxBodyBytes)
	if s.cfg.Hub != nil {
		s.cfg.Hub.register(c)
		defer s.cfg.Hub.unregister(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.wsWriter(ctx, conn, c) }()
	s.log.Debug("websocket connected", "remote", c.remote, "public", pol.public)
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			break
		}
		s.handleWS(ctx, c, data, pol)
	}
	c.stop(websocket.StatusNormalClosure, "")
	cancel()
	wg.Wait()
	conn.CloseNow()
	s.log.Debug("websocket closed", "remote", c.remote, "reason", c.reason)
}

// wsWriter drains c's queue onto the connection; when c is stopped it
// closes the connection with c's code and reason.
func (s *Server) wsWriter(ctx context.Context, conn *websocket.Conn, c *wsClient) {
	ping := time.NewTicker(wsPingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			if c.code != websocket.StatusNormalClosure {
				_ = conn.Close(c.code, c.reason)
			}
			return
		case msg := <-c.out:
			wctx, cancel := context.WithTimeout(ctx, s.cfg.WSWriteTimeout)
			err := conn.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				if ctx.Err() == nil && wctx.Err() != nil && s.cfg.Hub != nil {
					s.cfg.Hub.dropped.Add(1)
					s.log.Warn("websocket client dropped: write blocked", "remote", c.remote, "timeout", s.cfg.WSWriteTimeout)
				}
				c.stop(closeSlow, "too slow: a write blocked for "+s.cfg.WSWriteTimeout.String())
				conn.CloseNow()
				return
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, s.cfg.WSWriteTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				c.stop(websocket.StatusNormalClosure, "ping failed")
				conn.CloseNow()
				return
			}
		}
	}
}

// handleWS answers one message: a call, a notification or a batch.
func (s *Server) handleWS(ctx context.Context, c *wsClient, data []byte, pol wsPolicy) {
	calls, batch, derr := decodeRequest(data)
	if derr != nil {
		s.wsSend(c, errorResponse(nil, derr))
		return
	}
	if !batch && len(calls) == 1 && calls[0].err == nil && calls[0].req.Method == "subscribe" {
		s.wsSubscribe(c, calls[0].req, pol)
		return
	}
	var (
		out    []response
		afters []func()
	)
	for _, cl := range calls {
		resp, respond, after := s.wsCall(ctx, c, cl, pol)
		if respond {
			out = append(out, resp)
		}
		if after != nil {
			afters = append(afters, after)
		}
	}
	switch {
	case len(out) == 0:
	case batch:
		s.wsSend(c, out)
	default:
		s.wsSend(c, out[0])
	}
	for _, f := range afters {
		f()
	}
}

func (s *Server) wsCall(ctx context.Context, c *wsClient, cl call, pol wsPolicy) (response, bool, func()) {
	if cl.err != nil {
		return errorResponse(cl.req.ID, cl.err), true, nil
	}
	respond := cl.req.ID != nil
	switch cl.req.Method {
	case "subscribe":
		return errorResponse(cl.req.ID, invalidRequest("subscribe cannot be batched: send it on its own")), respond, nil
	case "unsubscribe":
		return s.wsUnsubscribe(c, cl.req), respond, nil
	}
	if e := s.allowed(cl.req.Method, pol); e != nil {
		return errorResponse(cl.req.ID, e), respond, nil
	}
	if !acquireSlot(ctx, s.sem, s.busyWait) {
		return errorResponse(cl.req.ID, newError(CodeInternal, "server busy: too many concurrent requests")), respond, nil
	}
	defer func() { <-s.sem }()
	cctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	return s.execute(cctx, cl)
}

func invalidRequest(msg string) *Error {
	return newError(CodeInvalidRequest, "invalid request: %s", msg)
}

// subscribeMethod describes subscribe's params for bindParams.
var subscribeMethod = method{name: "subscribe", params: []string{"topic", "address"}, required: 1}

func (s *Server) wsSubscribe(c *wsClient, req request, pol wsPolicy) {
	fail := func(e *Error) {
		if req.ID != nil {
			s.wsSend(c, errorResponse(req.ID, e))
		}
	}
	if s.cfg.Hub == nil {
		fail(newError(CodeMisc, "notifications are not enabled on this server"))
		return
	}
	a, perr := bindParams(&subscribeMethod, req.Params, s.b.Params.AddressHRP)
	if perr != nil {
		fail(perr)
		return
	}
	topic, _ := a.str(0, "")
	var addr [20]byte
	switch topic {
	case TopicNewTips, TopicMempool:
		if a.has(1) {
			fail(invalidParams("topic %q takes no address", topic))
			return
		}
	case TopicAddress:
		if !a.has(1) {
			fail(invalidParams("topic %q needs an address", topic))
			return
		}
		ad, err := a.address(1)
		if err != nil {
			fail(toRPCError(err))
			return
		}
		addr = ad
	default:
		fail(invalidParams("unknown topic %q: use %q, %q or %q", topic, TopicNewTips, TopicMempool, TopicAddress))
		return
	}
	err := s.cfg.Hub.subscribe(c, topic, addr, func(id string) []byte {
		if req.ID == nil {
			return nil
		}
		raw, _ := json.Marshal(id)
		b, _ := json.Marshal(response{JSONRPC: "2.0", Result: raw, ID: req.ID})
		return b
	})
	if err != nil {
		fail(newError(CodeInvalidParameter, "subscribe: %v (max %d)", err, s.cfg.Hub.cfg.MaxSubs))
	}
}

func (s *Server) wsUnsubscribe(c *wsClient, req request) response {
	a, perr := bindParams(&method{name: "unsubscribe", params: []string{"subscription"}, required: 1}, req.Params, s.b.Params.AddressHRP)
	if perr != nil {
		return errorResponse(req.ID, perr)
	}
	id, err := a.str(0, "")
	if err != nil {
		return errorResponse(req.ID, toRPCError(err))
	}
	if s.cfg.Hub == nil || s.cfg.Hub.unsubscribe(c, id) != nil {
		return errorResponse(req.ID, newError(CodeInvalidParameter, "unsubscribe: no subscription %q on this connection", id))
	}
	return response{JSONRPC: "2.0", Result: json.RawMessage("true"), ID: req.ID}
}

// toRPCError passes an *Error through; params helpers return only those.
func toRPCError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return invalidParams("%v", err)
}

// wsSend marshals v and queues it for c.
func (s *Server) wsSend(c *wsClient, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error: encode response"},"id":null}`)
	}
	if s.cfg.Hub != nil {
		s.cfg.Hub.send(c, b)
		return
	}
	select {
	case c.out <- b:
	default:
		c.stop(closeSlow, "too slow: response queue full")
	}
}

func (s *Server) hubQueueLen() int {
	if s.cfg.Hub != nil {
		return s.cfg.Hub.cfg.QueueLen
	}
	return DefaultQueueLen
}

// addWS counts c against MaxWebSockets; Shutdown closes every counted one.
func (s *Server) addWS(c *wsClient) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.wsConns) >= s.cfg.MaxWebSockets {
		return false
	}
	if s.wsConns == nil {
		s.wsConns = map[*wsClient]struct{}{}
	}
	s.wsConns[c] = struct{}{}
	s.wsWG.Add(1)
	return true
}

func (s *Server) removeWS(c *wsClient) {
	s.mu.Lock()
	delete(s.wsConns, c)
	s.mu.Unlock()
	s.wsWG.Done()
}

// closeWebSockets tells every connection the node is going away and waits
// for them to finish, or for ctx.
func (s *Server) closeWebSockets(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for c := range s.wsConns {
		c.stop(closeShutdown, "node shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wsWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
