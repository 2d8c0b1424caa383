package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Helper processes outlive `cairn testnet up --detach` next to the nodes:
// the network-conditions proxy (`cairn testnet proxy`) and the dashboard
// (`cairn testnet dashboard`). Their pids are in testnet.json; down and
// destroy stop them.

// ProxyStatusFile is where the proxy process reports what it applied.
const ProxyStatusFile = "proxy.status.json"

// ProxyStatus is what the proxy process writes after every change.
type ProxyStatus struct {
	PID        int    `json:"pid"`
	Generation uint64 `json:"generation"` // of the conditions file applied
	Error      string `json:"error,omitempty"`
}

// helperAlive reports whether pid is a live (not zombie) cairn process
// running `testnet <verb>`: a pid reused by something else is not ours.
func helperAlive(pid int, verb string) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil || isZombie(pid) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(b), "\x00")
	for k := 0; k+1 < len(args); k++ {
		if args[k] == "testnet" && args[k+1] == verb {
			return true
		}
	}
	return false
}

// spawnHelper starts `cairn testnet <verb> --dir <dir> args...` in its own
// session, logging to <dir>/<verb>.log, and returns its pid.
func (n *Network) spawnHelper(verb string, args ...string) (int, error) {
	logf, err := os.OpenFile(filepath.Join(n.Dir, verb+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(n.State.Binary, append([]string{"testnet", verb, "--dir", n.Dir}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start testnet %s: %w", verb, err)
	}
	go func() { _ = cmd.Wait() }() // reap it if we outlive it (tests)
	return cmd.Process.Pid, nil
}

// stopHelper sends SIGTERM and waits (SIGKILL after 5s).
func stopHelper(pid int, verb string) error {
	if !helperAlive(pid, verb) {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(5 * time.Second)
	for helperAlive(pid, verb) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("testnet %s (pid %d) did not stop within 5s and was killed", verb, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// stopHelpers stops the proxy and dashboard processes, if any.
func (n *Network) stopHelpers() error {
	var errs []error
	if n.State.DashboardPID != 0 {
		errs = append(errs, stopHelper(n.State.DashboardPID, "dashboard"))
		n.State.DashboardPID, n.State.DashboardAddr = 0, ""
	}
	if n.State.ProxyPID != 0 {
		errs = append(errs, stopHelper(n.State.ProxyPID, "proxy"))
		n.State.ProxyPID = 0
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(n.Dir, StateFile)); err != nil {
		return nil // destroyed already
	}
	return n.save()
}

// ProxyRunning reports whether the network-conditions proxy is alive.
func (n *Network) ProxyRunning() bool { return helperAlive(n.State.ProxyPID, "proxy") }

// ensureProxy starts the proxy process if this network uses one and it is
// not running, and waits until it has applied the current conditions:
// nodes must not start before their proxied address accepts connections.
func (n *Network) ensureProxy(ctx context.Context) error {
	if !n.Conditioned() || n.ProxyRunning() {
		return nil
	}
	pid, err := n.spawnHelper("proxy")
	if err != nil {
		return err
	}
	n.State.ProxyPID = pid
	if err := n.save(); err != nil {
		return err
	}
	cond, err := n.ReadConditions()
	if err != nil {
		return err
	}
	return n.waitProxy(ctx, cond.Generation, 20*time.Second)
}

// waitProxy waits until the proxy process reports generation gen applied.
func (n *Network) waitProxy(ctx context.Context, gen uint64, timeout time.Duration) error {
	return n.waitFor(ctx, timeout, func() (bool, error) {
		if !n.ProxyRunning() {
			return false, fmt.Errorf("the proxy process is not running; see %s", filepath.Join(n.Dir, "proxy.log"))
		}
		var st ProxyStatus
		if readJSON(filepath.Join(n.Dir, ProxyStatusFile), &st) != nil || st.PID != n.State.ProxyPID {
			return false, nil
		}
		if st.Error != "" {
			return false, errors.New("proxy: " + st.Error)
		}
		return st.Generation >= gen, nil
	}, "the network-conditions proxy")
}

// DashboardRunning reports whether a background dashboard is alive.
func (n *Network) DashboardRunning() bool { return helperAlive(n.State.DashboardPID, "dashboard") }

// StartDashboard runs `cairn testnet dashboard` in the background on addr
// (it outlives `up --detach`) and records it; down stops it.
func (n *Network) StartDashboard(addr string) error {
	if n.DashboardRunning() {
		return nil
	}
	pid, err := n.spawnHelper("dashboard", "--addr", addr)
	if err != nil {
		return err
	}
	n.State.DashboardPID, n.State.DashboardAddr = pid, addr
	return n.save()
}
