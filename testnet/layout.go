package testnet

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/google/renameio/v2"
)

// File names inside a testnet directory.
const (
	StateFile      = "testnet.json"
	GenesisFile    = "genesis.json"
	PassphraseFile = "passphrase"
	KeysFile       = "keys.json"
)

// Options describe a new network.
type Options struct {
	Dir       string
	Nodes     int           // default 4
	Miners    int           // default 2 (the first M nodes mine)
	Topology  string        // mesh, ring, line, random (default mesh up to MaxDefaultMesh nodes, else random)
	BlockTime time.Duration // target spacing, default 5s
	// LoadAccounts is how many extra funded accounts the load generator
	// signs from (default 1024); each node also gets one funded wallet key.
	LoadAccounts int
	// HashRate is the estimated hashes/s of one miner thread, used to set
	// the genesis difficulty; 0 measures it.
	HashRate float64
	Binary   string // cairn binary to run (default: this executable)
	Seed     int64  // topology randomness
	// MineDuty is the share of each second a miner hashes (default: half a
	// core shared among the miners, at most 1), so the miners leave the
	// machine's CPU to the nodes verifying their blocks.
	MineDuty float64
	// MemLimit is each node's --mem-limit (default NodeMemLimit; "off" for
	// none, e.g. for heavy load: the limit is sized for idle nodes).
	MemLimit string
}

// NodeMemLimit is the soft memory limit each testnet node runs with
// (cairn node --mem-limit): small enough for 50 nodes on a laptop, big
// enough that an idle node's garbage collector rarely runs.
const NodeMemLimit = "48MiB"

// NodeSpec is one node's fixed configuration.
type NodeSpec struct {
	Name        string `json:"name"`
	Dir         string `json:"dir"`
	RPCPort     int    `json:"rpc_port"`
	P2PPort     int    `json:"p2p_port"`
	MetricsPort int    `json:"metrics_port"`
	Mining      bool   `json:"mining"`
	MinerAddr   string `json:"miner_address"`
	WalletKey   int    `json:"wallet_key"` // index into keys.json
	PeerID      string `json:"peer_id,omitempty"`
	PID         int    `json:"pid,omitempty"`
	// ProxyPort, when set, is where the node's P2P traffic enters through
	// the network-conditions proxy (see netcond.go); peers dial only it.
	ProxyPort int `json:"proxy_port,omitempty"`
}

// State is what testnet.json holds.
type State struct {
	Name      string        `json:"name"`
	Network   string        `json:"network"`
	Topology  string        `json:"topology"`
	BlockTime time.Duration `json:"block_time"`
	Binary    string        `json:"binary"`
	Nodes     []NodeSpec    `json:"nodes"`
	Edges     [][2]int      `json:"edges"`
	Created   time.Time     `json:"created"`
	// Helper processes started by up (see helpers.go).
	ProxyPID      int    `json:"proxy_pid,omitempty"`
	DashboardPID  int    `json:"dashboard_pid,omitempty"`
	DashboardAddr string `json:"dashboard_addr,omitempty"`
	// MineDuty is passed to the miners as --mine-duty (0: not passed, as
	// in networks created before it existed).
	MineDuty float64 `json:"mine_duty,omitempty"`
	// MemLimit is passed to the nodes as --mem-limit ("off": not passed).
	MemLimit string `json:"mem_limit,omitempty"`
}

// Key is a funded account's private key (test money only).
type Key struct {
	Address string `json:"address"`
	Private string `json:"private"`
	Amount  uint64 `json:"amount"`
}

func newKey() (*btcec.PrivateKey, consensus.Address, error) {
	k, err := btcec.NewPrivateKey()
	if err != nil {
		return nil, consensus.Address{}, err
	}
	var pub [32]byte
	copy(pub[:], schnorr.SerializePubKey(k.PubKey()))
	return k, consensus.AddressFromPubKey(pub), nil
}

// ParseKey decodes a Key's private key.
func ParseKey(k Key) (*btcec.PrivateKey, error) {
	b, err := hex.DecodeString(k.Private)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("bad key for %s", k.Address)
	}
	priv, _ := btcec.PrivKeyFromBytes(b)
	return priv, nil
}

// freePort picks an unused loopback TCP port below the kernel's ephemeral
// range: a port taken from the ephemeral range (bind :0, release) can be
// handed to another process's outgoing connection before the node binds it.
// Start still retries a node on fresh ports if its bind fails.
func freePort() (int, error) {
	lo, hi := 20000, ephemeralLow()
	if hi-lo < 1000 {
		lo, hi = 10000, 20000
	}
	for try := 0; try < 200; try++ {
		port := lo + int(randUint32()%uint32(hi-lo))
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, errors.New("no free port below the ephemeral range")
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	var lo, hi int
	if err == nil {
		if _, err := fmt.Sscan(string(b), &lo, &hi); err == nil && lo > 1024 {
			return lo
		}
	}
	return 32768
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:]) | 1 // never 0
}

func writeJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(path, append(b, '\n'), mode)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no testnet in %s (create one with `cairn testnet up --dir %s`)", filepath.Dir(path), filepath.Dir(path))
		}
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// edges returns the node pairs to connect for a topology.
func edges(topology string, n int, seed int64) ([][2]int, error) {
	var out [][2]int
	switch topology {
	case "mesh":
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				out = append(out, [2]int{i, j})
			}
		}
	case "line":
		for i := 0; i+1 < n; i++ {
			out = append(out, [2]int{i, i + 1})
		}
	case "ring":
		for i := 0; i+1 < n; i++ {
			out = append(out, [2]int{i, i + 1})
		}
		if n > 2 {
			out = append(out, [2]int{n - 1, 0})
		}
	case "random":
		// A random spanning tree (connected) plus a few random extra edges.
		r := newRand(seed)
		for i := 1; i < n; i++ {
			out = append(out, [2]int{r.Intn(i), i})
		}
		for k := 0; k < n/2; k++ {
			a, b := r.Intn(n), r.Intn(n)
			if a != b {
				out = append(out, [2]int{min(a, b), max(a, b)})
			}
		}
	default:
		return nil, fmt.Errorf("unknown topology %q (want mesh, ring, line or random)", topology)
	}
	return out, nil
}

// LockFile serialises commands that create or start a network in a dir.
const LockFile = ".lock"

// Lock takes the directory's lock (creating the directory if needed) so two
// `cairn testnet up` cannot interleave: the second fails at once with a
// clear message instead of mixing two networks' files. The lock is released
// by the returned function or when the process exits.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("another cairn testnet command is setting up or running %s (%s); wait for it, stop it, or use another --dir",
			dir, strings.TrimSpace(string(owner)))
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "pid %d", os.Getpid())
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
