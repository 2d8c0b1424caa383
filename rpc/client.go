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
	req := clientRequest{"2.0", method, params, 1}
	raw, resp, err := c.post(ctx, method, req)
	if err != nil {
		return err
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

type clientRequest struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
	ID      int    `json:"id"`
}

// post sends one JSON-RPC body and returns the response body, bounded.
func (c *Client) post(ctx context.Context, what string, req any) ([]byte, *http.Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s params: %w", what, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("rpc request to %s: %w", c.URL, err)
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
			return nil, nil, fmt.Errorf("%w at %s (connection refused): start it with `cairn node`", ErrNodeNotRunning, c.URL)
		}
		return nil, nil, fmt.Errorf("call %s at %s: %w", what, c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, nil, ErrAuthFailed
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("call %s: read response: %w", what, err)
	}
	return raw, resp, nil
}

// BatchResult is one answer of CallBatch: Result, or Err (an *Error) if
// the node refused that call.
type BatchResult struct {
	Result json.RawMessage
	Err    error
}

// CallBatch sends one JSON-RPC batch of method calls, one per element of
// params (at most the server's batch limit, 1,000), and returns the
// answers in the same order. The error is for the batch as a whole
// (transport, auth, a malformed answer); per-call refusals are in Err.
func (c *Client) CallBatch(ctx context.Context, method string, params []any) ([]BatchResult, error) {
	if len(params) == 0 {
		return nil, nil
	}
	reqs := make([]clientRequest, len(params))
	for i, p := range params {
		reqs[i] = clientRequest{"2.0", method, p, i}
	}
	raw, resp, err := c.post(ctx, method+" batch", reqs)
	if err != nil {
		return nil, err
	}
	var answers []struct {
		ID     *int            `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal(raw, &answers); err != nil {
		// A batch refused as a whole comes back as one error object.
		var one struct {
			Error *Error `json:"error"`
		}
		if json.Unmarshal(raw, &one) == nil && one.Error != nil {
			return nil, one.Error
		}
		return nil, fmt.Errorf("%s batch: HTTP %s with a body that is not a JSON-RPC batch answer: %.200q", method, resp.Status, raw)
	}
	out := make([]BatchResult, len(params))
	got := make([]bool, len(params))
	for _, a := range answers {
		if a.ID == nil || *a.ID < 0 || *a.ID >= len(params) || got[*a.ID] {
			return nil, fmt.Errorf("%s batch: answer with an unknown or repeated id", method)
		}
		got[*a.ID] = true
		if a.Error != nil {
			out[*a.ID].Err = a.Error
		} else {
			out[*a.ID].Result = a.Result
		}
	}
	for i, ok := range got {
		if !ok {
			return nil, fmt.Errorf("%s batch: no answer for call %d of %d", method, i+1, len(params))
		}
	}
	return out, nil
}
