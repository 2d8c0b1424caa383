package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// handler runs one method. Errors that are not *Error become CodeInternal.
type handler func(ctx context.Context, a *args) (any, error)

// method is one entry of the method table.
type method struct {
	name     string
	params   []string // positional order; also the names for object params
	required int      // the first `required` params must be present
	summary  string   // one line
	detail   string   // params and result, for help METHOD
	errs     []int    // the application error codes it returns, listed by help METHOD
	fn       handler
	after    func() // run once the response is written, if the call succeeded
}

// group is a titled section of the method table, as help lists it.
type group struct {
	title   string
	methods []method
}

func (m *method) paramIndex(name string) int {
	for i, p := range m.params {
		if p == name {
			return i
		}
	}
	return -1
}

func (m *method) paramList() string {
	if len(m.params) == 0 {
		return "none"
	}
	return strings.Join(m.params, ", ")
}

// usage is the one-line signature: required params bare, optional ones
// in brackets.
func (m *method) usage() string {
	var b strings.Builder
	b.WriteString(m.name)
	for i, p := range m.params {
		if i < m.required {
			fmt.Fprintf(&b, " %s", p)
		} else {
			fmt.Fprintf(&b, " [%s]", p)
		}
	}
	return b.String()
}

// buildTable assembles the method table; each group lives in its own file.
func (s *Server) buildTable() {
	s.groups = []group{
		{"Chain", s.chainMethods()},
		{"Mempool", s.mempoolMethods()},
		{"Mining", s.miningMethods()},
		{"Network", s.networkMethods()},
		{"Wallet", s.walletMethods()},
		{"Control", s.controlMethods()},
		{"Explorer", s.exploreMethods()},
		{"Notifications (websocket)", s.notifyMethods()},
	}
	s.methods = make(map[string]*method)
	for gi := range s.groups {
		for mi := range s.groups[gi].methods {
			m := &s.groups[gi].methods[mi]
			if _, dup := s.methods[m.name]; dup {
				panic("rpc: method " + m.name + " registered twice") // a programming error in the table
			}
			s.methods[m.name] = m
		}
	}
}

// execute runs one call. respond is false for notifications; after, if
// set, must run once the response has been written.
func (s *Server) execute(ctx context.Context, c call) (resp response, respond bool, after func()) {
	if c.err != nil {
		return errorResponse(c.req.ID, c.err), true, nil
	}
	respond = c.req.ID != nil
	start := time.Now()
	result, err := s.run(ctx, c.req)
	var rerr *Error
	if err == nil {
		raw, merr := json.Marshal(result)
		if merr != nil {
			err = merr
		} else {
			resp = response{JSONRPC: "2.0", Result: raw, ID: c.req.ID}
		}
	}
	if err != nil {
		rerr = s.toError(c.req.Method, err)
		resp = errorResponse(c.req.ID, rerr)
	} else if m := s.methods[c.req.Method]; m != nil {
		after = m.after
	}
	code := 0
	if rerr != nil {
		code = rerr.Code
	}
	took := time.Since(start)
	s.log.Debug("rpc call", "method", c.req.Method, "code", code, "took", took)
	if s.cfg.Observe != nil {
		method := c.req.Method
		if s.methods[method] == nil {
			method = "unknown" // bounded label values: never echo arbitrary names
		}
		s.cfg.Observe(method, code, took)
	}
	return resp, respond, after
}

func (s *Server) run(ctx context.Context, req request) (any, error) {
	m := s.methods[req.Method]
	if m == nil {
		return nil, newError(CodeMethodNotFound, "method not found: %q (call help for the list)", req.Method)
	}
	a, perr := bindParams(m, req.Params, s.b.Params.AddressHRP)
	if perr != nil {
		return nil, perr
	}
	return s.invoke(ctx, m, a)
}

// invoke calls the handler, turning a panic into an internal error so one
// bad call cannot take the node down or leave the client without a body.
func (s *Server) invoke(ctx context.Context, m *method, a *args) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc handler panicked", "method", m.name, "panic", r, "stack", string(debug.Stack()))
			result, err = nil, newError(CodeInternal, "internal error: %s failed unexpectedly (see the node log)", m.name)
		}
	}()
	return m.fn(ctx, a)
}

// toError passes *Error through and reports anything else as internal:
// handlers map every expected failure themselves.
func (s *Server) toError(method string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	s.log.Warn("rpc call failed", "method", method, "err", err)
	return newError(CodeInternal, "internal error: %v", err)
}

// MethodNames lists every method in the table, in help's order, without a
// running server: the CLI completes `cairn rpc <TAB>` from it offline.
func MethodNames() []string {
	s := &Server{} // the table needs only method values, never the backend
	s.buildTable()
	var names []string
	for _, g := range s.groups {
		for _, m := range g.methods {
			names = append(names, m.name)
		}
	}
	return names
}
