package rpc

import (
	"encoding/json"
	"testing"
)

func TestDecodeRequest(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		wantErr int   // whole-body error code
		batch   bool  // when wantErr == 0
		codes   []int // per call: 0 valid, else the call's error code
	}{
		{name: "valid", body: `{"jsonrpc":"2.0","method":"m","id":1}`, codes: []int{0}},
		{name: "whitespace", body: " \n{\"jsonrpc\":\"2.0\",\"method\":\"m\"}\t", codes: []int{0}},
		{name: "invalid json", body: `{`, wantErr: CodeParseError},
		{name: "trailing garbage", body: `{"jsonrpc":"2.0","method":"m"} x`, wantErr: CodeParseError},
		{name: "empty", body: ``, wantErr: CodeParseError},
		{name: "form feed is not JSON space", body: "\f0", wantErr: CodeParseError},
		{name: "empty batch", body: ` [ ] `, wantErr: CodeInvalidRequest},
		{name: "scalar", body: `true`, codes: []int{CodeInvalidRequest}},
		{name: "null", body: `null`, codes: []int{CodeInvalidRequest}},
		{name: "bool id", body: `{"jsonrpc":"2.0","method":"m","id":true}`, codes: []int{CodeInvalidRequest}},
		{name: "array params ok", body: `{"jsonrpc":"2.0","method":"m","params":[1]}`, codes: []int{0}},
		{name: "object params ok", body: `{"jsonrpc":"2.0","method":"m","params":{"a":1}}`, codes: []int{0}},
		{name: "number params", body: `{"jsonrpc":"2.0","method":"m","params":1}`, codes: []int{CodeInvalidRequest}},
		{name: "empty method", body: `{"jsonrpc":"2.0","method":""}`, codes: []int{CodeInvalidRequest}},
		{name: "version number", body: `{"jsonrpc":2.0,"method":"m"}`, codes: []int{CodeInvalidRequest}},
		{name: "batch", body: `[{"jsonrpc":"2.0","method":"m","id":1},[],1,{"jsonrpc":"2.0"}]`, batch: true,
			codes: []int{0, CodeInvalidRequest, CodeInvalidRequest, CodeInvalidRequest}},
		{name: "nested batch", body: `[[{"jsonrpc":"2.0","method":"m"}]]`, batch: true, codes: []int{CodeInvalidRequest}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls, batch, err := decodeRequest([]byte(tc.body))
			if tc.wantErr != 0 {
				if err == nil || err.Code != tc.wantErr {
					t.Fatalf("err %v, want code %d", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected body error %v", err)
			}
			if batch != tc.batch || len(calls) != len(tc.codes) {
				t.Fatalf("batch %v with %d calls, want %v with %d", batch, len(calls), tc.batch, len(tc.codes))
			}
			for i, c := range calls {
				got := 0
				if c.err != nil {
					got = c.err.Code
				}
				if got != tc.codes[i] {
					t.Errorf("call %d: code %d, want %d", i, got, tc.codes[i])
				}
			}
		})
	}
}

// FuzzDecodeRequest checks that any body yields either a whole-body error
// or well-formed calls, and that every answer encodes as valid JSON.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","method":"getblock","params":["00"],"id":1}`,
		`{"jsonrpc":"2.0","method":"getblock","params":{"hash":"00","verbosity":2},"id":"a"}`,
		`[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"x","id":null}]`,
		`[]`, `[1,2]`, `{`, `null`, `"s"`, `{"id":{"a":1}}`, `{"jsonrpc":"2.0","method":"m","params":7,"id":-1.5e3}`,
	} {
		f.Add([]byte(s))
	}
	m := &method{name: "getblock", params: []string{"hash", "verbosity"}, required: 1}
	f.Fuzz(func(t *testing.T, body []byte) {
		calls, batch, err := decodeRequest(body)
		if err != nil {
			if err.Code != CodeParseError && err.Code != CodeInvalidRequest {
				t.Fatalf("body error code %d", err.Code)
			}
			if calls != nil {
				t.Fatal("calls returned with a body error")
			}
			mustEncode(t, errorResponse(nil, err))
			return
		}
		if !json.Valid(body) {
			t.Fatal("invalid JSON accepted")
		}
		if len(calls) == 0 || (!batch && len(calls) != 1) || len(calls) > maxBatch {
			t.Fatalf("batch %v with %d calls", batch, len(calls))
		}
		for _, c := range calls {
			if c.err != nil {
				if c.err.Code != CodeInvalidRequest {
					t.Fatalf("call error code %d", c.err.Code)
				}
				mustEncode(t, errorResponse(c.req.ID, c.err))
				continue
			}
			if c.req.Method == "" {
				t.Fatal("valid call without a method")
			}
			if k := kind(c.req.Params); k != 0 && k != '[' && k != '{' {
				t.Fatalf("params of kind %q accepted", k)
			}
			if c.req.ID != nil {
				mustEncode(t, response{JSONRPC: "2.0", Result: jsonNull, ID: c.req.ID})
			}
			if a, perr := bindParams(m, c.req.Params, "rcairn"); perr == nil {
				a.hash(0)
				a.uint(1, 1)
			}
		}
	})
}

func mustEncode(t *testing.T, r response) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil || !json.Valid(b) {
		t.Fatalf("response does not encode: %v", err)
	}
}
