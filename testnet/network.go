package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/rpc"
)

// Network is a testnet directory and the processes it describes.
type Network struct {
	Dir    string
	State  *State
	Keys   []Key
	Params *consensus.Params
}

// Open loads an existing testnet directory.
func Open(dir string) (*Network, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	n := &Network{Dir: abs, State: &State{}}
	if err := readJSON(filepath.Join(abs, StateFile), n.State); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(abs, KeysFile), &n.Keys); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(abs, GenesisFile))
	if err != nil {
		return nil, err
	}
	spec, err := consensus.ParseGenesisSpec(b)
	if err != nil {
		return nil, err
	}
	if n.Params, err = consensus.CustomParams(spec); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Network) save() error {
	return writeJSON(filepath.Join(n.Dir, StateFile), n.State, 0o600)
}

// Node returns the index of a node by name ("node2") or 1-based number ("2").
func (n *Network) Node(name string) (int, error) {
	for i, ns := range n.State.Nodes {
		if ns.Name == name || fmt.Sprint(i+1) == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no node %q (nodes are node1..node%d)", name, len(n.State.Nodes))
}

// Passphrase is the wallets' passphrase (test network only).
func (n *Network) Passphrase() (string, error) {
	b, err := os.ReadFile(filepath.Join(n.Dir, PassphraseFile))
	return strings.TrimSpace(string(b)), err
}

// RPCURL is node i's JSON-RPC URL.
func (n *Network) RPCURL(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", n.State.Nodes[i].RPCPort)
}

// P2PAddr is node i's TCP multiaddr with its peer id, once known.
func (n *Network) P2PAddr(i int) string {
	ns := n.State.Nodes[i]
	port := ns.P2PPort
	if ns.ProxyPort != 0 {
		port = ns.ProxyPort // peers reach it only through its proxy
	}
	a := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port)
	if ns.PeerID != "" {
		a += "/p2p/" + ns.PeerID
	}
	return a
}

// Client returns an RPC client for node i using its cookie.
func (n *Network) Client(i int) (*rpc.Client, error) {
	user, pass, err := rpc.ReadCookie(n.State.Nodes[i].Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.State.Nodes[i].Name, err)
	}
	return &rpc.Client{URL: n.RPCURL(i), User: user, Password: pass}, nil
}

// Call is a one-shot RPC to node i.
func (n *Network) Call(ctx context.Context, i int, method string, params []any, result any) error {
	c, err := n.Client(i)
	if err != nil {
		return err
	}
	if err := c.Call(ctx, method, params, result); err != nil {
		return fmt.Errorf("%s %s: %w", n.State.Nodes[i].Name, method, err)
	}
	return nil
}

// Running reports whether node i's recorded process is alive.
func (n *Network) Running(i int) bool {
	pid := n.State.Nodes[i].PID
	return pid > 0 && syscall.Kill(pid, 0) == nil && !isZombie(pid)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state letter follows the ")" that ends the command name.
	s := string(b)
	if k := strings.LastIndexByte(s, ')'); k >= 0 && k+2 < len(s) {
		return s[k+2] == 'Z'
	}
	return false
}

func (n *Network) nodeArgs(i int) []string {
	ns := n.State.Nodes[i]
	args := []string{"node",
		"--genesis", filepath.Join(n.Dir, GenesisFile),
		"--datadir", ns.Dir,
		"--rpc-addr", fmt.Sprintf("127.0.0.1:%d", ns.RPCPort),
		"--listen", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ns.P2PPort),
		"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", ns.MetricsPort),
		"--mdns", "off",
	}
	if ns.ProxyPort != 0 {
		args = append(args, "--announce", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ns.ProxyPort))
	}
	// Sized for a local node: 50 of them fit one small machine.
	switch ml := n.State.MemLimit; ml {
	case "off":
	case "":
		args = append(args, "--mem-limit", NodeMemLimit)
	default:
		args = append(args, "--mem-limit", ml)
	}
	if ns.Mining {
		args = append(args, "--mine", "--miner-address", ns.MinerAddr, "--mine-threads", "1")
		if d := n.State.MineDuty; d > 0 && d < 1 {
			args = append(args, "--mine-duty", strconv.FormatFloat(d, 'f', -1, 64))
		}
	}
	degree := 0
	for _, e := range n.State.Edges {
		j := -1
		if e[0] == i {
			j = e[1]
		} else if e[1] == i {
			j = e[0]
		}
		if j >= 0 {
			degree++
		}
		if j >= 0 && n.State.Nodes[j].PeerID != "" {
			args = append(args, "--peer", n.P2PAddr(j))
		}
	}
	// Room for every topology edge (and a few more for manual addnode)
	// without the connection manager trimming them.
	return append(args, "--max-peers", strconv.Itoa(max(16, 2*degree+8)))
}

// startRetries is how often Start moves a node to fresh ports after one of
// its ports turned out to be taken.
const startRetries = 3

// Start launches node i as a detached process (its own session, so it
// outlives the CLI) logging to <node dir>/node.log, and waits for its RPC.
// If the node exits because a port is taken (another program got it after
// it was picked), it is started again on fresh ports; peers started later
// dial the new ones.
func (n *Network) Start(ctx context.Context, i int) error {
	for try := 0; ; try++ {
		logStart := logSize(n.State.Nodes[i].Dir)
		err := n.startOnce(ctx, i)
		if err == nil || try >= startRetries || n.Running(i) || !portTaken(n.State.Nodes[i].Dir, logStart) {
			return err
		}
		used := map[int]bool{}
		for j, ns := range n.State.Nodes {
			if j != i {
				used[ns.RPCPort], used[ns.P2PPort], used[ns.MetricsPort] = true, true, true
			}
		}
		if perr := assignPorts(&n.State.Nodes[i], used); perr != nil {
			return err
		}
		if serr := n.save(); serr != nil {
			return serr
		}
	}
}

func logSize(dir string) int64 {
	fi, err := os.Stat(filepath.Join(dir, "node.log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// portTaken reports whether the node's log, after offset, says a bind failed.
func portTaken(dir string, offset int64) bool {
	b, err := os.ReadFile(filepath.Join(dir, "node.log"))
	if err != nil || int64(len(b)) < offset {
		return false
	}
	return strings.Contains(string(b[offset:]), "address already in use")
}

func (n *Network) startOnce(ctx context.Context, i int) error {
	if n.Running(i) {
		return fmt.Errorf("%s is already running (pid %d)", n.State.Nodes[i].Name, n.State.Nodes[i].PID)
	}
	if err := n.ensureProxy(ctx); err != nil {
		return err
	}
	ns := &n.State.Nodes[i]
	_ = os.Remove(filepath.Join(ns.Dir, ".cookie")) // stale after a kill -9
	logf, err := os.OpenFile(filepath.Join(ns.Dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(n.State.Binary, n.nodeArgs(i)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", ns.Name, err)
	}
	ns.PID = cmd.Process.Pid
	// Reap the child if this process outlives it (tests, foreground up).
	go func() { _ = cmd.Wait() }()
	if err := n.save(); err != nil {
		return err
	}
	return n.waitReady(ctx, i, 60*time.Second)
}

// waitReady polls until node i answers RPC, then records its peer id.
func (n *Network) waitReady(ctx context.Context, i int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ns := &n.State.Nodes[i]
	var lastErr error
	for {
		var info struct {
			PeerID string `json:"peerid"`
		}
		if err := n.Call(ctx, i, "getnetworkinfo", []any{}, &info); err == nil {
			if info.PeerID != "" && info.PeerID != ns.PeerID {
				ns.PeerID = info.PeerID
				if err := n.save(); err != nil {
					return err
				}
			}
			return nil
		} else {
			lastErr = err
		}
		if !n.Running(i) {
			return fmt.Errorf("%s exited during startup; see %s", ns.Name, filepath.Join(ns.Dir, "node.log"))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer RPC in %s: %v", ns.Name, timeout, lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM and waits for a clean exit (SIGKILL after 20s).
func (n *Network) Stop(i int) error {
	if !n.Running(i) {
		return nil
	}
	pid := n.State.Nodes[i].PID
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if !n.Running(i) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return fmt.Errorf("%s did not stop within 20s and was killed", n.State.Nodes[i].Name)
}

// Kill sends SIGKILL: a crash, for fault tests.
func (n *Network) Kill(i int) error {
	if !n.Running(i) {
		return fmt.Errorf("%s is not running", n.State.Nodes[i].Name)
	}
	if err := syscall.Kill(n.State.Nodes[i].PID, syscall.SIGKILL); err != nil {
		return err
	}
	for k := 0; k < 200 && n.Running(i); k++ {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// refresh re-reads testnet.json: another process (the dashboard, another
// CLI command) may have restarted nodes since this Network was opened, and
// stopping the pids it remembers would leave the new processes running.
func (n *Network) refresh() {
	var st State
	if err := readJSON(filepath.Join(n.Dir, StateFile), &st); err == nil && len(st.Nodes) == len(n.State.Nodes) {
		n.State = &st
	}
}

// Down stops every node cleanly; data is kept.
func (n *Network) Down() error {
	n.refresh()
	var errs []error
	for i := range n.State.Nodes {
		if err := n.Stop(i); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, n.stopHelpers())
	return errors.Join(errs...)
}

// Destroy kills every node, waits until each has exited (a node still
// writing its data dir would recreate files under a deleted tree), and
// deletes the directory.
func (n *Network) Destroy() error {
	n.refresh()
	_ = n.stopHelpers()
	for i := range n.State.Nodes {
		if n.Running(i) {
			_ = syscall.Kill(n.State.Nodes[i].PID, syscall.SIGKILL)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := range n.State.Nodes {
		for n.Running(i) {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s (pid %d) did not exit after SIGKILL; not deleting %s", n.State.Nodes[i].Name, n.State.Nodes[i].PID, n.Dir)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return os.RemoveAll(n.Dir)
}
