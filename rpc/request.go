package rpc

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// maxBatch bounds the calls in one batch; the body limit alone would allow
// hundreds of thousands of tiny calls.
const maxBatch = 1000

// request is one decoded call. ID is nil for a notification and holds the
// raw JSON id (string, number or null) otherwise.
type request struct {
	Method string
	Params json.RawMessage // nil, or a JSON array or object
	ID     json.RawMessage
}

// call is one element of a body: a valid request, or the error to answer
// it with (Err set, ID the element's id if it had a usable one).
type call struct {
	req request
	err *Error
}

// response is a JSON-RPC 2.0 response object.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

var jsonNull = json.RawMessage("null")

func errorResponse(id json.RawMessage, e *Error) response {
	if id == nil {
		id = jsonNull
	}
	return response{JSONRPC: "2.0", Error: e, ID: id}
}

// decodeRequest parses a body into calls. A non-nil *Error means the whole
// body is answered with that one error (parse error, empty or oversized
// batch); otherwise every element of calls is answered (or, for a valid
// notification, executed silently), as a batch if batch is true.
func decodeRequest(body []byte) (calls []call, batch bool, err *Error) {
	body = trimSpace(body)
	if !json.Valid(body) {
		return nil, false, newError(CodeParseError, "parse error: body is not valid JSON")
	}
	if body[0] != '[' {
		return []call{decodeCall(body)}, false, nil
	}
	var elems []json.RawMessage
	if e := json.Unmarshal(body, &elems); e != nil {
		return nil, true, newError(CodeParseError, "parse error: %v", e)
	}
	switch {
	case len(elems) == 0:
		return nil, true, newError(CodeInvalidRequest, "invalid request: empty batch")
	case len(elems) > maxBatch:
		return nil, true, newError(CodeInvalidRequest, "invalid request: batch of %d calls, max %d", len(elems), maxBatch)
	}
	calls = make([]call, len(elems))
	for i, el := range elems {
		calls[i] = decodeCall(el)
	}
	return calls, true, nil
}

// decodeCall validates one request object of valid JSON.
func decodeCall(raw json.RawMessage) call {
	var fields map[string]json.RawMessage
	if kind(raw) != '{' || json.Unmarshal(raw, &fields) != nil {
		return call{err: newError(CodeInvalidRequest, "invalid request: not a JSON object")}
	}
	var c call
	if id, ok := fields["id"]; ok {
		switch kind(id) {
		case '"':
			// JSON text is UTF-8; an id that is not would be echoed as
			// invalid JSON, and sanitising it would not match the client's.
			if !utf8.Valid(id) {
				return call{err: newError(CodeInvalidRequest, "invalid request: id is not valid UTF-8")}
			}
			c.req.ID = id
		case '0', 'n':
			c.req.ID = id
		default:
			return call{err: newError(CodeInvalidRequest, "invalid request: id must be a string, number or null")}
		}
	}
	invalid := func(msg string) call {
		id := c.req.ID
		if id == nil {
			id = jsonNull // an invalid request is answered even without an id
		}
		return call{req: request{ID: id}, err: newError(CodeInvalidRequest, "invalid request: %s", msg)}
	}
	var version string
	if v, ok := fields["jsonrpc"]; !ok || json.Unmarshal(v, &version) != nil || version != "2.0" {
		return invalid(`"jsonrpc" must be "2.0"`)
	}
	m, ok := fields["method"]
	if !ok || kind(m) != '"' || json.Unmarshal(m, &c.req.Method) != nil || c.req.Method == "" {
		return invalid(`"method" must be a non-empty string`)
	}
	if p, ok := fields["params"]; ok {
		switch kind(p) {
		case '[', '{':
			c.req.Params = p
		case 'n': // treated as omitted
		default:
			return invalid(`"params" must be an array or an object`)
		}
	}
	return c
}

// trimSpace strips JSON whitespace only: bytes.TrimSpace would also strip
// form feeds and Unicode spaces, which make a body invalid JSON.
func trimSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

// kind classifies a valid JSON value by its first byte; numbers are '0'.
func kind(v json.RawMessage) byte {
	v = trimSpace(v)
	if len(v) == 0 {
		return 0
	}
	switch c := v[0]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return '0'
	default:
		return c
	}
}
