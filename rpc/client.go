package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
)

// ErrNodeNotRunning and ErrAuthFailed are matched (errors.Is) by the
// errors Call returns when no node listens at URL or it refuses the
// credentials.
var (
	ErrNodeNotRunning = errors.New("node not running")
	ErrAuthFailed     = errors.New("authentication failed: check --rpc-user/--rpc-password or the cookie in --datadir")
)

// maxResponseBytes bounds what Call reads; the largest result is a block
// (verbosity 2) of a few MiB.
const maxResponseBytes = 64 << 20

// Client calls a node's JSON-RPC server.
type Client struct {
	URL            string // e.g. http://127.0.0.1:9632/
	User, Password string
	HTTP           *http.Client // nil means http.DefaultClient
}

// Call invokes method with params (nil, a slice for positional or a map or
// struct for named params) and decodes the result into result (which may
// be nil). An error reported by the node is an *Error.
func (c *Client) Call(ctx context.Context, method string, params any, result any) error {
	req := struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params,omitempty"`
		ID      int    `json:"id"`
	}{"2.0", method, params, 1}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s params: %w", method, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("rpc request to %s: %w", c.URL, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.SetBasicAuth(c.User, c.Password)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w at %s (connection refused): start it with `cairn node`", ErrNodeNotRunning, c.URL)
		}
		return fmt.Errorf("call %s at %s: %w", method, c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return ErrAuthFailed
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("call %s: read response: %w", method, err)
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("call %s: HTTP %s with a body that is not JSON-RPC: %.200q", method, resp.Status, raw)
	}
	if out.Error != nil {
		return out.Error
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("call %s: HTTP %s", method, resp.Status)
	}
	if result == nil || len(out.Result) == 0 {
		return nil
	}
	if err := json.Unmarshal(out.Result, result); err != nil {
		return fmt.Errorf("call %s: decode result: %w", method, err)
	}
	return nil
}
