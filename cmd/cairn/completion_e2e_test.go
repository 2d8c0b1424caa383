package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command as a shell would and
// returns the candidates (the last line is cobra's directive).
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command(cairnBin, append([]string{"__complete"}, args...)...).Output()
	if err != nil {
		t.Fatalf("__complete %v: %v", args, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %v: no directive line:\n%s", args, out)
	}
	var names []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t") // a description may follow a tab
		names = append(names, name)
	}
	return names
}

// Completion works with no node running: RPC method names come from the
// table compiled in, subcommands from cobra; the scripts generate.
func TestShellCompletion(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"rpc", "getb"}, []string{"getblock", "getblockcount", "getblockhash", "getblockchaininfo", "getbestblockhash"}, []string{"sendtoaddress", "getmempoolinfo"}},
		{[]string{"rpc", "help", "sendt"}, []string{"sendtoaddress"}, []string{"sendrawtransaction"}},
		{[]string{"rpc", "getblock", ""}, nil, []string{"getblock", "getblockcount"}}, // params are not methods
		{[]string{"testnet", "rpc", "node1", "getmem"}, []string{"getmempoolinfo", "getmempooltxs"}, []string{"getblock"}},
		{[]string{"wallet", "se"}, []string{"send"}, []string{"create"}},
		{[]string{"comp"}, []string{"completion"}, nil},
	} {
		got := complete(t, tc.args...)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("complete %v: %v lacks %s", tc.args, got, w)
			}
		}
		for _, w := range tc.notWant {
			if slices.Contains(got, w) {
				t.Errorf("complete %v: %v has %s", tc.args, got, w)
			}
		}
	}
	for shell, marker := range map[string]string{"bash": "__start_cairn", "zsh": "#compdef cairn", "fish": "complete -c cairn"} {
		out, err := exec.Command(cairnBin, "completion", shell).Output()
		if err != nil || !strings.Contains(string(out), marker) {
			t.Errorf("completion %s: %v, output lacks %q", shell, err, marker)
		}
	}
}
