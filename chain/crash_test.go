package chain_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// The crash test runs the chain in a child process (this test binary,
// re-executed with -test.run=^TestCrashHelper$), kills it with SIGKILL at
// random moments, and checks after every kill that the database opens, that
// VerifyBlocks passes over the whole main chain, and that the state equals
// both the generator's expectation and a clean replay of the stored main
// chain into a fresh node.

const (
	envCrashHelper = "CAIRN_CRASH_HELPER"
	envCrashDir    = "CAIRN_CRASH_DIR"
	envCrashBlocks = "CAIRN_CRASH_BLOCKS"
	envCrashNoSync = "CAIRN_CRASH_NOSYNC"
	envCrashFlip   = "CAIRN_CRASH_FLIP"
)

// crashGen deterministically generates the crash workload: a main chain
// m1..m40, an invalid block on m40, and a side chain s31..s45 forking at m30
// that overtakes it (a 10-block reorg). It returns the feed order.
func crashGen() (*chaintest.Gen, []*chaintest.Block) {
	g := chaintest.MustNew(chaintest.Options{Name: "crash", Keys: 8})
	k := g.Keys
	fee := g.Params.MinTxFee
	var feed []*chaintest.Block
	parent := "genesis"
	for h := 1; h <= 40; h++ {
		name := fmt.Sprintf("m%d", h)
		feed = append(feed, g.NextBlock(name, parent,
			chaintest.Pay(k[h%8], k[(h+1)%8].Addr, uint64(h)*consensus.Coin, fee),
			chaintest.Pay(k[(h+3)%8], chaintest.NewKey(name).Addr, 1000, fee), // a fresh account per block
			chaintest.Pay(k[(h+5)%8], k[h%8].Addr, consensus.Coin/7, fee+uint64(h)),
		))
		parent = name
	}
	feed = append(feed, g.NextBlock("m41-bad", "m40", chaintest.Pay(k[0], k[1].Addr, 5000*consensus.Coin, fee)))
	parent = "m30"
	for h := 31; h <= 45; h++ {
		name := fmt.Sprintf("s%d", h)
		feed = append(feed, g.NextBlock(name, parent,
			chaintest.Pay(k[(h+2)%8], k[(h+4)%8].Addr, uint64(h)*consensus.Coin/3, fee),
			chaintest.Pay(k[(h+6)%8], chaintest.NewKey(name).Addr, 2000, fee),
		))
		parent = name
	}
	return g, feed
}

// TestCrashHelper is the child process of TestCrash; run alone it skips.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(envCrashHelper) != "1" {
		t.Skip("helper process for TestCrash")
	}
	if err := crashChild(); err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
}

// crashChild feeds every block, then flips between the branches with
// InvalidateBlock / ReconsiderBlock until it is killed (or 60s pass).
func crashChild() error {
	g, _ := crashGen() // only the params: blocks come from the parent's file
	raw, err := os.ReadFile(os.Getenv(envCrashBlocks))
	if err != nil {
		return err
	}
	blocks, err := decodeBlockFile(raw)
	if err != nil {
		return err
	}
	flip, err := consensus.ParseHash(os.Getenv(envCrashFlip))
	if err != nil {
		return err
	}
	c, err := chain.Open(chain.Config{
		Dir: os.Getenv(envCrashDir), Params: g.Params, Now: g.Now,
		NoSync: os.Getenv(envCrashNoSync) == "1",
	})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	// A previous run may have died between invalidate and reconsider.
	if err := c.ReconsiderBlock(flip); err != nil && !errors.Is(err, chain.ErrUnknownBlock) {
		return fmt.Errorf("reconsider: %w", err)
	}
	for i, b := range blocks {
		_, _, err := submitHeaderFirst(c, b)
		switch {
		case err == nil, errors.Is(err, chain.ErrAlreadyHave):
		case consensus.CodeOf(err) == consensus.ErrInsufficientFunds:
			// m41-bad: expected.
		default:
			return fmt.Errorf("block %d: %w", i, err)
		}
		fmt.Println("fed", i+1)
	}
	deadline := time.Now().Add(60 * time.Second)
	for n := 1; time.Now().Before(deadline); n++ {
		if err := c.InvalidateBlock(flip); err != nil {
			return fmt.Errorf("invalidate: %w", err)
		}
		if err := c.ReconsiderBlock(flip); err != nil {
			return fmt.Errorf("reconsider: %w", err)
		}
		fmt.Println("flip", n)
	}
	return errors.New("not killed within 60s")
}

func encodeBlockFile(blocks []*chaintest.Block) []byte {
	var out []byte
	for _, b := range blocks {
		enc := b.Block.Encode()
		out = binary.BigEndian.AppendUint32(out, uint32(len(enc)))
		out = append(out, enc...)
	}
	return out
}

func decodeBlockFile(raw []byte) ([]*consensus.Block, error) {
	var out []*consensus.Block
	for len(raw) > 0 {
		if len(raw) < 4 {
			return nil, errors.New("truncated block file")
		}
		n := int(binary.BigEndian.Uint32(raw))
		if len(raw) < 4+n {
			return nil, errors.New("truncated block file")
		}
		b, err := consensus.DecodeBlock(raw[4 : 4+n])
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		raw = raw[4+n:]
	}
	return out, nil
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes; skipped with -short")
	}
	g, blocks := crashGen()
	work := t.TempDir()
	blockFile := filepath.Join(work, "blocks.bin")
	if err := os.WriteFile(blockFile, encodeBlockFile(blocks), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "chain")
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0x63726173))
	t.Logf("kill timing seed %d", seed)

	const minKills, maxKills = 20, 40
	budget := 35 * time.Second
	start := time.Now()
	heights := map[string]int{}
	for i := 0; i < maxKills && (i < minKills || time.Since(start) < budget); i++ {
		noSync := i%2 == 1
		delay := time.Duration(3+rng.IntN(298)) * time.Millisecond
		fromStart := rng.IntN(4) == 0 // sometimes kill during Open's recovery
		progress := runCrashChild(t, dir, blockFile, g.Block("s31").Hash, noSync, delay, fromStart)
		tip := checkCrashedDB(t, g, dir)
		heights[tip]++
		t.Logf("kill %2d: nosync=%-5v delay=%3dms fromStart=%-5v child got to %-9q -> tip %s", i, noSync, delay/time.Millisecond, fromStart, progress, tip)
	}
	t.Logf("%v; tips after kills: %v", time.Since(start).Round(time.Millisecond), heights)

	// Finish in-process: everything fed, the side branch wins.
	c, err := chain.Open(chain.Config{Dir: dir, Params: g.Params, Now: g.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.ReconsiderBlock(g.Block("s31").Hash); err != nil && !errors.Is(err, chain.ErrUnknownBlock) {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if _, _, err := submitHeaderFirst(c, b.Block); err != nil && !errors.Is(err, chain.ErrAlreadyHave) && consensus.CodeOf(err) != consensus.ErrInsufficientFunds {
			t.Fatalf("%s: %v", b.Name, err)
		}
	}
	checkState(t, c, g, "s45")
	if err := c.VerifyBlocks(1000); err != nil {
		t.Fatal(err)
	}
}

// runCrashChild starts a child on dir, waits for it to open the chain (or
// not, with fromStart), sleeps delay and SIGKILLs it. It returns the last
// progress line the child printed.
func runCrashChild(t *testing.T, dir, blockFile string, flip consensus.Hash, noSync bool, delay time.Duration, fromStart bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1", "-test.timeout=2m")
	ns := "0"
	if noSync {
		ns = "1"
	}
	cmd.Env = append(os.Environ(), envCrashHelper+"=1", envCrashDir+"="+dir, envCrashBlocks+"="+blockFile,
		envCrashNoSync+"="+ns, envCrashFlip+"="+flip.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	last := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		line, signalled := "", false
		for sc.Scan() {
			line = sc.Text()
			if line == "ready" && !signalled {
				close(ready)
				signalled = true
			}
		}
		io.Copy(io.Discard, out)
		if !signalled {
			close(ready)
		}
		last <- line
	}()
	if !fromStart {
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child never opened the chain; stderr:\n%s", stderr.String())
		}
	}
	time.Sleep(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	progress := <-last
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v; stderr:\n%s", err, stderr.String())
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended by itself (%v), not by the kill; stderr:\n%s", err, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "DATA RACE") || strings.Contains(s, "panic") || strings.Contains(s, "crash child:") {
		t.Fatalf("child stderr:\n%s", s)
	}
	return progress
}

// checkCrashedDB opens the killed child's database and checks it fully. It
// returns the tip's generated block name.
func checkCrashedDB(t *testing.T, g *chaintest.Gen, dir string) string {
	t.Helper()
	c, err := chain.Open(chain.Config{Dir: dir, Params: g.Params, Now: g.Now, NoSync: true})
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer c.Close()
	tip := c.Tip()
	if err := c.VerifyBlocks(int(tip.Height)); err != nil {
		t.Fatalf("VerifyBlocks(%d) after kill: %v", tip.Height, err)
	}
	gb := g.ByHash(tip.Hash)
	if gb == nil || gb.StateErr != nil {
		t.Fatalf("tip %s after kill is not a valid generated block", tip.Hash)
	}
	checkState(t, c, g, gb.Name)

	// Replay the stored main chain into a fresh node.
	fresh := openChain(t, t.TempDir(), g, true)
	defer fresh.Close()
	for h := uint64(1); h <= tip.Height; h++ {
		hash, err := c.HashAt(h)
		if err != nil {
			t.Fatalf("HashAt(%d): %v", h, err)
		}
		b, err := c.Block(hash)
		if err != nil {
			t.Fatalf("stored block at %d: %v", h, err)
		}
		if main, _, err := fresh.ProcessBlock(b); err != nil || !main {
			t.Fatalf("replaying height %d: main=%v err=%v", h, main, err)
		}
	}
	if fresh.Tip().Hash != tip.Hash || digestOf(t, fresh) != digestOf(t, c) {
		t.Fatalf("state after kill differs from a clean replay of its main chain")
	}
	return gb.Name
}
