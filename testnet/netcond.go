package testnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Network conditions are done in user space: every node's P2P traffic
// enters through a TCP proxy (toxiproxy, in the `cairn testnet proxy`
// process) and nodes announce and dial only proxied addresses, so every
// connection crosses exactly one proxy: the one of the node that accepted
// it. That proxy delays, loses and throttles both directions.

// ConditionsFile holds the wanted conditions per node; the proxy process
// applies every new generation of it.
const ConditionsFile = "netcond.json"

// Conditions are one node's link conditions, applied to both directions of
// every connection through its proxy.
type Conditions struct {
	Latency   time.Duration `json:"latency"`   // one-way delay added per hop
	Jitter    time.Duration `json:"jitter"`    // +/- spread of Latency
	Loss      float64       `json:"loss"`      // share of (emulated 1460-byte) segments lost, 0..1
	Bandwidth int64         `json:"bandwidth"` // bits/s per connection and direction; 0 = unlimited
}

func (c Conditions) String() string {
	var parts []string
	if c.Latency > 0 || c.Jitter > 0 {
		parts = append(parts, fmt.Sprintf("latency %s±%s", c.Latency, c.Jitter))
	}
	if c.Loss > 0 {
		parts = append(parts, fmt.Sprintf("loss %g%%", 100*c.Loss))
	}
	if c.Bandwidth > 0 {
		parts = append(parts, "bandwidth "+FormatBandwidth(c.Bandwidth))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Validate refuses conditions the proxy cannot honour.
func (c Conditions) Validate() error {
	switch {
	case c.Latency < 0 || c.Latency > time.Minute:
		return fmt.Errorf("latency %s: must be in [0, 1m]", c.Latency)
	case c.Jitter < 0 || c.Jitter > c.Latency:
		return fmt.Errorf("jitter %s: must be in [0, latency %s]", c.Jitter, c.Latency)
	case c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("loss %g: must be in [0%%, 100%%)", c.Loss)
	case c.Bandwidth < 0 || (c.Bandwidth > 0 && c.Bandwidth < 8000):
		return fmt.Errorf("bandwidth %d bit/s: must be 0 (unlimited) or at least 8kbit", c.Bandwidth)
	}
	return nil
}

// ConditionsState is the content of netcond.json.
type ConditionsState struct {
	Generation uint64                `json:"generation"`
	Nodes      map[string]Conditions `json:"nodes"` // by node name
}

// Conditioned reports whether this network runs its P2P through proxies.
func (n *Network) Conditioned() bool {
	return len(n.State.Nodes) > 0 && n.State.Nodes[0].ProxyPort != 0
}

// EnableConditions puts every node behind a proxy with conditions c. Only
// possible while no node runs (their peers' addresses change).
func (n *Network) EnableConditions(c Conditions) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if n.Conditioned() {
		return nil
	}
	used := map[int]bool{}
	for i, ns := range n.State.Nodes {
		if n.Running(i) {
			return fmt.Errorf("%s is running: network conditions can be enabled only on a stopped network (`cairn testnet down` first)", ns.Name)
		}
		used[ns.RPCPort], used[ns.P2PPort], used[ns.MetricsPort] = true, true, true
	}
	for i := range n.State.Nodes {
		for {
			port, err := freePort()
			if err != nil {
				return err
			}
			if !used[port] {
				used[port] = true
				n.State.Nodes[i].ProxyPort = port
				break
			}
		}
	}
	st := ConditionsState{Nodes: map[string]Conditions{}}
	for _, ns := range n.State.Nodes {
		st.Nodes[ns.Name] = c
	}
	if err := n.writeConditions(&st); err != nil {
		return err
	}
	return n.save()
}

// ReadConditions reads netcond.json.
func (n *Network) ReadConditions() (*ConditionsState, error) {
	st := &ConditionsState{}
	if err := readJSON(filepath.Join(n.Dir, ConditionsFile), st); err != nil {
		return nil, err
	}
	return st, nil
}

func (n *Network) writeConditions(st *ConditionsState) error {
	st.Generation++
	return writeJSON(filepath.Join(n.Dir, ConditionsFile), st, 0o600)
}

// SetConditions changes the conditions of the given nodes (all if nil)
// with change, and waits until the proxy process has applied them.
func (n *Network) SetConditions(ctx context.Context, nodes []int, change func(*Conditions)) error {
	if !n.Conditioned() {
		return fmt.Errorf("%s runs without network conditions: create it with `cairn testnet up --latency 0ms` (or any of --latency, --jitter, --loss, --bandwidth)", n.State.Name)
	}
	unlock, err := n.lockConditions()
	if err != nil {
		return err
	}
	st, err := n.ReadConditions()
	if err != nil {
		unlock()
		return err
	}
	if nodes == nil {
		for i := range n.State.Nodes {
			nodes = append(nodes, i)
		}
	}
	for _, i := range nodes {
		name := n.State.Nodes[i].Name
		c := st.Nodes[name]
		change(&c)
		if err := c.Validate(); err != nil {
			unlock()
			return fmt.Errorf("%s: %w", name, err)
		}
		st.Nodes[name] = c
	}
	err = n.writeConditions(st)
	unlock()
	if err != nil {
		return err
	}
	if !n.ProxyRunning() {
		return nil // applied when the proxy starts with the nodes
	}
	return n.waitProxy(ctx, st.Generation, 20*time.Second)
}

// lockConditions serialises read-modify-write of netcond.json between
// concurrent CLI commands and the dashboard.
func (n *Network) lockConditions() (func(), error) {
	f, err := os.OpenFile(filepath.Join(n.Dir, ".netcond.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// ParseLoss reads "1%", "0.5%" or a fraction "0.01".
func ParseLoss(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("loss %q: want a percentage such as 1%%", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v >= 1 {
		return 0, fmt.Errorf("loss %q: must be in [0%%, 100%%)", s)
	}
	return v, nil
}

// ParseBandwidth reads "20mbit", "512kbit", "1gbit", "8000bit" or "0"/"off"
// (unlimited) into bits per second.
func ParseBandwidth(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "0" || s == "off" || s == "unlimited" {
		return 0, nil
	}
	mult := int64(1)
	num := strings.TrimSuffix(s, "bit")
	if num == s {
		return 0, fmt.Errorf("bandwidth %q: want e.g. 20mbit, 512kbit or off", s)
	}
	switch {
	case strings.HasSuffix(num, "k"):
		mult, num = 1e3, strings.TrimSuffix(num, "k")
	case strings.HasSuffix(num, "m"):
		mult, num = 1e6, strings.TrimSuffix(num, "m")
	case strings.HasSuffix(num, "g"):
		mult, num = 1e9, strings.TrimSuffix(num, "g")
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bandwidth %q: want e.g. 20mbit, 512kbit or off", s)
	}
	return int64(v * float64(mult)), nil
}

// FormatBandwidth prints bits/s the way ParseBandwidth reads them.
func FormatBandwidth(b int64) string {
	switch {
	case b == 0:
		return "unlimited"
	case b%1e9 == 0:
		return fmt.Sprintf("%dgbit", b/1e9)
	case b%1e6 == 0:
		return fmt.Sprintf("%dmbit", b/1e6)
	case b%1e3 == 0:
		return fmt.Sprintf("%dkbit", b/1e3)
	}
	return fmt.Sprintf("%dbit", b)
}
