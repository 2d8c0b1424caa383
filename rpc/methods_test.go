package rpc

import (
	"slices"
	"testing"
)

// MethodNames, built without a backend, is exactly the running server's
// table: every name `help` knows, none it does not.
func TestMethodNamesMatchServer(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	names := MethodNames()
	if len(names) != len(n.srv.methods) {
		t.Fatalf("MethodNames has %d names, the server %d methods", len(names), len(n.srv.methods))
	}
	for _, name := range names {
		var text string
		n.must("help", []any{name}, &text)
		if text == "" {
			t.Errorf("help %s: empty", name)
		}
	}
	for _, want := range []string{"getblock", "getblockcount", "sendtoaddress", "help", "subscribe"} {
		if !slices.Contains(names, want) {
			t.Errorf("MethodNames lacks %s", want)
		}
	}
}
