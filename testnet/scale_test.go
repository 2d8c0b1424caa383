package testnet

import (
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scaleNodesEnv sets how many nodes TestScaleConverges starts; CI runs the
// default, the issue-10 measurement runs 50:
//
//	CAIRN_SCALE_NODES=50 go test -run TestScaleConverges -v -timeout 30m ./testnet/
const scaleNodesEnv = "CAIRN_SCALE_NODES"

// A network of small local nodes starts, converges on one tip with its
// miners paced, and its idle nodes stay small.
func TestScaleConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process testnet test")
	}
	nodes := 8
	if v := os.Getenv(scaleNodesEnv); v != "" {
		var err error
		if nodes, err = strconv.Atoi(v); err != nil || nodes < 2 {
			t.Fatalf("%s=%q: want a node count of 2 or more", scaleNodesEnv, v)
		}
	}
	n, err := Create(Options{Dir: t.TempDir(), Nodes: nodes, Miners: 2, BlockTime: 2 * time.Second,
		LoadAccounts: 16, Binary: cairnBin, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Destroy() })
	start := time.Now()
	ctx := ctxT(t, 20*time.Minute)
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	up := time.Since(start)
	// Converged: every node past a few mined blocks, all on one tip.
	for i := range n.State.Nodes {
		if err := n.WaitForHeight(ctx, i, 3, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	tip, err := n.WaitForTips(ctx, nil, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d nodes (%s topology): up in %s, converged on %s after %s", nodes, n.State.Topology, up.Round(time.Millisecond),
		tip[:16], time.Since(start).Round(time.Millisecond))

	// Idle memory. VmRSS counts ~29 MiB of the cairn binary's own pages
	// (text and read-only data), shared by every node on the machine and
	// set by the build's layout, not by what a node does; RssAnon is the
	// node's private memory. The measurement run (CAIRN_SCALE_NODES) holds
	// the median VmRSS to the 40 MiB; the CI run checks the private
	// part tightly and VmRSS with a margin for the binary's size, so a
	// grown binary does not fail CI while a node that grows does.
	time.Sleep(5 * time.Second) // let startup garbage be collected; not a timing assertion
	var rss, anon []int
	for i, ns := range n.State.Nodes {
		kb, err := statusKB(ns.PID, "VmRSS:")
		if err != nil {
			t.Fatalf("%s: %v", ns.Name, err)
		}
		akb, err := statusKB(ns.PID, "RssAnon:")
		if err != nil {
			t.Fatalf("%s: %v", ns.Name, err)
		}
		rss, anon = append(rss, kb), append(anon, akb)
		if kb > 52<<10 {
			t.Errorf("%s (mining %v): RSS %d KiB above the 48 MiB limit", n.State.Nodes[i].Name, ns.Mining, kb)
		}
	}
	sort.Ints(rss)
	sort.Ints(anon)
	t.Logf("idle RSS KiB: min %d, median %d, max %d; private (RssAnon) median %d", rss[0], rss[len(rss)/2], rss[len(rss)-1], anon[len(anon)/2])
	rssBound := 44 << 10
	if os.Getenv(scaleNodesEnv) != "" {
		rssBound = 40 << 10
	}
	if med := rss[len(rss)/2]; med > rssBound {
		t.Errorf("median idle RSS %d KiB, want at most %d MiB", med, rssBound>>10)
	}
	if med := anon[len(anon)/2]; med > 16<<10 {
		t.Errorf("median private memory %d KiB, want at most 16 MiB", med)
	}
}

// statusKB reads a kB field (e.g. "VmRSS:") of /proc/<pid>/status.
func statusKB(pid int, field string) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			return strconv.Atoi(f[1])
		}
	}
	return 0, errors.New("no " + field + " line")
}
