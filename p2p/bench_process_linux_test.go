//go:build linux

package p2p

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// Environment of the sync child process (see benchSyncProcess).
const (
	childEnv       = "CAIRN_SYNC_CHILD"
	childPeerEnv   = "CAIRN_SYNC_CHILD_PEER"
	childTipEnv    = "CAIRN_SYNC_CHILD_TIP"
	childKeysEnv   = "CAIRN_SYNC_CHILD_KEYS"
	childWindowEnv = "CAIRN_SYNC_WINDOW"
	childResult    = "SYNC-CHILD-SECONDS "
	childHWM       = "SYNC-CHILD-VMHWM-KB "
)

// benchSyncProcess runs a fresh node syncing from server in a child
// process (this test binary, running TestSyncChildProcess), so its peak
// RSS is a syncing node's alone, as with a real `cairn node`. It reports
// the child's sync rate, peak RSS and CPU time.
func benchSyncProcess(b *testing.B, server string, tip consensus.Hash, nBlocks, nTxs int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", childPeerEnv+"="+server, childTipEnv+"="+tip.String(),
		childKeysEnv+"="+strconv.Itoa(nTxs))
	if lim := os.Getenv("CAIRN_SYNC_CHILD_GOMEMLIMIT"); lim != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+lim) // as a node operator would set it
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		b.Fatalf("sync child: %v\n%s", err, out.String())
	}
	var secs, hwm float64
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, childResult); ok {
			secs, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		if v, ok := strings.CutPrefix(line, childHWM); ok {
			hwm, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		if strings.HasPrefix(line, "child: ") {
			b.Log(line)
		}
	}
	if secs <= 0 {
		b.Fatalf("sync child reported no time:\n%s", out.String())
	}
	if hwm <= 0 {
		b.Fatalf("sync child reported no peak RSS:\n%s", out.String())
	}
	// Not rusage's Maxrss: on Linux it survives exec, so it reports the
	// forking benchmark process's size.
	ps := cmd.ProcessState
	cpu := ps.UserTime() + ps.SystemTime()
	b.ReportMetric(float64(nBlocks*nTxs)/secs, "child-tx/s")
	b.ReportMetric(hwm/1024, "child-peak-RSS-MiB")
	b.ReportMetric(float64(cpu.Microseconds())/float64(nBlocks*nTxs), "child-CPU-us/tx")
}

// TestSyncChildProcess is the child side of benchSyncProcess; run alone
// (without its environment) it has nothing to do.
func TestSyncChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("helper process of BenchmarkInitialSync")
	}
	keys, err := strconv.Atoi(os.Getenv(childKeysEnv))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := chaintest.NewParams(chaintest.Options{Name: "p2pbench", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	tip, err := consensus.ParseHash(os.Getenv(childTipEnv))
	if err != nil {
		t.Fatal(err)
	}
	window, _ := strconv.Atoi(os.Getenv(childWindowEnv))
	start := time.Now()
	fresh := newNode(t, p, "child", filepath.Join(t.TempDir(), "child"), func(c *Config) {
		c.Peers = []string{os.Getenv(childPeerEnv)}
		c.SyncWindow = window // 0: the default
	})
	var maxHeap, maxSys uint64
	var ms runtime.MemStats
	waitFor(t, 30*time.Minute, "child synced", func() bool {
		runtime.ReadMemStats(&ms)
		if prof := os.Getenv("CAIRN_SYNC_CHILD_HEAPPROF"); prof != "" && ms.HeapInuse > maxHeap {
			if f, err := os.Create(prof); err == nil {
				_ = pprof.WriteHeapProfile(f) // the peak so far: what holds memory
				f.Close()
			}
		}
		maxHeap, maxSys = max(maxHeap, ms.HeapInuse), max(maxSys, ms.Sys-ms.HeapReleased)
		return fresh.chain.Tip().Hash == tip
	})
	fmt.Printf("%s%.3f\n", childResult, time.Since(start).Seconds())
	if raw, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				fmt.Printf("%s%s\n", childHWM, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			}
		}
	}
	fmt.Printf("child: peak Go heap in use %d MiB, peak Go memory held %d MiB (sampled)\n", maxHeap>>20, maxSys>>20)
}
