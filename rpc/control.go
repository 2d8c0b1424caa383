package rpc

import (
	"context"
	"fmt"
	"strings"
)

func (s *Server) controlMethods() []method {
	return []method{
		{name: "stop", fn: s.stop, after: s.afterStop, errs: []int{CodeMisc},
			summary: "Stop the node, once this response is sent."},
		{name: "uptime", fn: s.uptime,
			summary: "Seconds since the node started."},
		{name: "help", params: []string{"method"}, fn: s.help, errs: []int{CodeInvalidParameter},
			summary: "List every method, or explain one."},
	}
}

func (s *Server) stop(context.Context, *args) (any, error) {
	if s.b.Stop == nil {
		return nil, newError(CodeMisc, "this node cannot be stopped over rpc")
	}
	return "cairn node stopping", nil
}

// afterStop runs Stop on its own goroutine: Stop typically shuts this
// server down, which waits for the current request to finish.
func (s *Server) afterStop() {
	if s.b.Stop != nil {
		go s.b.Stop()
	}
}

func (s *Server) uptime(context.Context, *args) (any, error) {
	if s.b.StartTime.IsZero() {
		return 0, nil
	}
	return int64(s.cfg.Now().Sub(s.b.StartTime).Seconds()), nil
}

func (s *Server) help(_ context.Context, a *args) (any, error) {
	name, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	if name != "" {
		m := s.methods[name]
		if m == nil {
			return nil, invalidParameter("help: unknown method %q", name)
		}
		text := m.usage() + "\n\n" + m.summary
		if m.detail != "" {
			text += "\n" + m.detail
		}
		if len(m.errs) > 0 {
			codes := make([]string, len(m.errs))
			for i, c := range m.errs {
				codes[i] = fmt.Sprintf("%d %s", c, codeText[c])
			}
			text += "\nErrors: " + strings.Join(codes, ", ") + "; bad params -32602."
		}
		if len(m.params) > 0 {
			text += fmt.Sprintf("\n\nParams may be positional [%s] or named {%q: ...}.", m.paramList(), m.params[0])
		}
		return text, nil
	}
	var b strings.Builder
	for i, g := range s.groups {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "== %s ==\n", g.title)
		for _, m := range g.methods {
			b.WriteString(m.usage() + "\n")
		}
	}
	return b.String(), nil
}
