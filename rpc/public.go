package rpc

import (
	"context"
	"io"
	"net/http"
)

// publicMethods read public chain data only: what any peer of the network
// can see (blocks, txs, accounts, the gossiped mempool). The explorer
// serves them without credentials.
var publicMethods = map[string]bool{
	"getblockchaininfo": true, "getblockcount": true, "getbestblockhash": true, "getblockhash": true,
	"getblock": true, "getblockheader": true, "getchaintips": true, "gettransaction": true,
	"getaccount": true, "getaddresshistory": true, "getrawmempool": true, "getmempoolinfo": true,
	"getmempooltxs": true, "search": true, "getconnectioncount": true,
}

// peerMethods say who this node talks to (peer ids and IP addresses): not
// chain data, so the explorer asks for the RPC credentials, as RPC does.
var peerMethods = map[string]bool{"getpeerinfo": true, "getnetworkinfo": true}

// maxPublicBody bounds an explorer request: public methods take short params.
const maxPublicBody = 64 << 10

// allowed reports whether pol may call method (nil) or why not.
func (s *Server) allowed(method string, pol wsPolicy) *Error {
	if !pol.public || publicMethods[method] {
		return nil
	}
	if peerMethods[method] {
		if pol.authed {
			return nil
		}
		return newError(CodeUnauthorized, "unauthorized: %s needs the rpc credentials", method)
	}
	return newError(CodeMethodNotFound, "method not found: %q is not part of the explorer's read-only interface", method)
}

// Authorized reports whether r carries the RPC credentials (HTTP Basic),
// for servers in the node that share RPC's auth rules.
func (s *Server) Authorized(r *http.Request) bool { return s.authorized(r) }

// PublicHandler serves the explorer's read-only interface: JSON-RPC over
// POST or a websocket (with subscriptions, which carry only public data),
// limited to publicMethods, plus peerMethods for a request with the RPC
// credentials. Wallet, mining, control and submitting methods are never
// reachable through it. Browsers cannot put Basic auth on a websocket, so
// the public socket needs none; its Origin must match its Host.
func (s *Server) PublicHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("explorer request panicked", "panic", p)
				writeJSON(w, http.StatusInternalServerError, errorResponse(nil, newError(CodeInternal, "internal error")))
			}
		}()
		pol := wsPolicy{public: true, authed: s.authorized(r)}
		if isWebSocket(r) {
			s.serveWS(w, r, pol)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, errorResponse(nil, newError(CodeInvalidRequest, "invalid request: use HTTP POST with a JSON-RPC 2.0 body")))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPublicBody))
		if err != nil {
			w.Header().Set("Connection", "close")
			writeJSON(w, http.StatusRequestEntityTooLarge, errorResponse(nil, newError(CodeInvalidRequest, "invalid request: body over %d bytes or unreadable", maxPublicBody)))
			return
		}
		calls, batch, derr := decodeRequest(body)
		if derr != nil {
			writeJSON(w, http.StatusOK, errorResponse(nil, derr))
			return
		}
		for _, c := range calls {
			if c.err == nil && peerMethods[c.req.Method] && !pol.authed {
				w.Header().Set("WWW-Authenticate", `Basic realm="cairn-rpc"`)
				writeJSON(w, http.StatusUnauthorized, errorResponse(c.req.ID, s.allowed(c.req.Method, pol)))
				return
			}
		}
		if !acquireSlot(r.Context(), s.sem, s.busyWait) {
			refuse(w, busy("too many concurrent requests"))
			return
		}
		defer func() { <-s.sem }()
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
		defer cancel()
		var out []response
		for _, c := range calls {
			var resp response
			respond := c.req.ID != nil || c.err != nil
			if c.err != nil {
				resp = errorResponse(c.req.ID, c.err)
			} else if e := s.allowed(c.req.Method, pol); e != nil {
				resp = errorResponse(c.req.ID, e)
			} else {
				resp, respond, _ = s.execute(ctx, c) // no public method has an after hook
			}
			if respond {
				out = append(out, resp)
			}
		}
		switch {
		case len(out) == 0:
			w.WriteHeader(http.StatusNoContent)
		case batch:
			writeJSON(w, http.StatusOK, out)
		default:
			writeJSON(w, http.StatusOK, out[0])
		}
	})
}
