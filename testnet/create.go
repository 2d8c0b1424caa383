package testnet

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/cairn-chain/cairn/chain/miner"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

type rnd struct{ r *rand.Rand }

func newRand(seed int64) rnd { return rnd{rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))} }

func (r rnd) Intn(n int) int { return r.r.IntN(n) }

var memLimitRe = regexp.MustCompile(`^(off|[0-9]+(\.[0-9]+)?(B|KiB|MiB|GiB)?)$`)

// MaxDefaultMesh is the most nodes the default topology connects as a full
// mesh; larger networks default to random (a spanning tree plus extras).
const MaxDefaultMesh = 8

// FundPerAccount is each genesis account's balance: 1,000,000 coins.
const FundPerAccount = 1_000_000 * consensus.Coin

// powLimitBits is the easiest target a testnet allows (ASERT needs < 2^239).
const powLimitBits = 0x1e7fffff

// Create lays out a new network in opts.Dir: keys, genesis, per-node dirs
// and ports. It starts nothing.
func Create(opts Options) (*Network, error) {
	if opts.Nodes == 0 {
		opts.Nodes = 4
	}
	if opts.Nodes < 1 || opts.Nodes > 64 {
		return nil, fmt.Errorf("--nodes must be between 1 and 64")
	}
	switch {
	case opts.Miners == 0:
		opts.Miners = min(2, opts.Nodes)
	case opts.Miners < 0: // explicitly none
		opts.Miners = 0
	case opts.Miners > opts.Nodes:
		return nil, fmt.Errorf("--miners must be between 0 and the number of nodes")
	}
	if opts.BlockTime == 0 {
		opts.BlockTime = 5 * time.Second
	}
	if opts.BlockTime < time.Second || opts.BlockTime > time.Hour {
		return nil, fmt.Errorf("--block-time must be between 1s and 1h")
	}
	if opts.Topology == "" {
		// A full mesh of n nodes is n(n-1)/2 connections: fine for a few
		// nodes, a CPU and memory sink for fifty on one machine.
		opts.Topology = "mesh"
		if opts.Nodes > MaxDefaultMesh {
			opts.Topology = "random"
		}
	}
	if opts.MineDuty == 0 && opts.Miners > 0 {
		opts.MineDuty = min(1, 0.5/float64(opts.Miners))
	}
	if opts.MineDuty < 0 || opts.MineDuty > 1 {
		return nil, fmt.Errorf("--mine-duty must be in (0, 1]")
	}
	if opts.MemLimit == "" {
		opts.MemLimit = NodeMemLimit
	}
	if !memLimitRe.MatchString(opts.MemLimit) {
		return nil, fmt.Errorf("--mem-limit %q: want a size such as 48MiB or 1GiB, or off", opts.MemLimit)
	}
	if opts.LoadAccounts == 0 {
		opts.LoadAccounts = 1024
	}
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	if opts.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the cairn binary: %w", err)
		}
		opts.Binary = exe
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a testnet: `cairn testnet destroy --dir %s` first, or pick another --dir", dir, opts.Dir)
	}
	topo, err := edges(opts.Topology, opts.Nodes, opts.Seed)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}

	// Keys: one wallet key per node, then the load accounts.
	name := fmt.Sprintf("testnet-%08x", randUint32())
	hrp := consensus.TestParams().AddressHRP
	var keys []Key
	spec := &consensus.GenesisSpec{Base: "test", Name: name, ChainID: randUint32(), Timestamp: time.Now().Unix()}
	for i := 0; i < opts.Nodes+opts.LoadAccounts; i++ {
		k, addr, err := newKey()
		if err != nil {
			return nil, err
		}
		keys = append(keys, Key{Address: addr.Encode(hrp), Private: hex.EncodeToString(k.Serialize()), Amount: FundPerAccount})
		spec.Allocs = append(spec.Allocs, struct {
			Address string `json:"address"`
			Amount  uint64 `json:"amount"`
		}{addr.Encode(hrp), FundPerAccount})
	}
	spacing := int64(opts.BlockTime / time.Second)
	spec.TargetSpacing = spacing
	spec.HalfLife = 20 * spacing
	spec.PowLimitBits = powLimitBits
	noRetarget := false
	spec.NoRetarget = &noRetarget
	rate := opts.HashRate
	if rate <= 0 {
		rate = MeasureHashRate(300 * time.Millisecond)
	}
	spec.Bits = initialBits(rate*float64(max(opts.Miners, 1))*max(opts.MineDuty, 0.01)*0.5, spacing)
	params, err := consensus.CustomParams(spec)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, GenesisFile), spec, 0o644); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(dir, KeysFile), keys, 0o600); err != nil {
		return nil, err
	}
	pass := make([]byte, 16)
	for i := range pass {
		pass[i] = "abcdefghijkmnpqrstuvwxyz23456789"[randUint32()%32]
	}
	if err := os.WriteFile(filepath.Join(dir, PassphraseFile), append(pass, '\n'), 0o600); err != nil {
		return nil, err
	}
	st := &State{Name: name, Network: params.Name, Topology: opts.Topology, BlockTime: opts.BlockTime, Binary: opts.Binary, Edges: topo,
		Created: time.Now(), MineDuty: opts.MineDuty, MemLimit: opts.MemLimit}
	used := map[int]bool{}
	for i := 0; i < opts.Nodes; i++ {
		ns := NodeSpec{Name: fmt.Sprintf("node%d", i+1), Dir: filepath.Join(dir, fmt.Sprintf("node%d", i+1)), Mining: i < opts.Miners, WalletKey: i, MinerAddr: keys[i].Address}
		if err := assignPorts(&ns, used); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(ns.Dir, 0o700); err != nil {
			return nil, err
		}
		st.Nodes = append(st.Nodes, ns)
	}
	n := &Network{Dir: dir, State: st, Keys: keys, Params: params}
	return n, n.save()
}

// MeasureHashRate times one mining thread for about d.
func MeasureHashRate(d time.Duration) float64 {
	hdr := consensus.Header{Version: consensus.BlockVersion, Bits: 0x03000001} // target 1: never solved
	var count atomic.Uint64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	miner.Solve(ctx, hdr, 1, 0, &count)
	return float64(count.Load()) / time.Since(start).Seconds()
}

// initialBits is the compact target at which `hashRate` finds a block every
// `spacing` seconds on average, clamped to the testnet PoW limit.
func initialBits(hashRate float64, spacing int64) uint32 {
	work := uint64(hashRate * float64(spacing))
	if work < 2 {
		work = 2
	}
	t := new(uint256.Int).Div(new(uint256.Int).SetAllOne(), uint256.NewInt(work))
	limit, _, _ := consensus.CompactToTarget(powLimitBits)
	if t.Gt(limit) {
		t = limit
	}
	return consensus.TargetToCompact(t)
}

// assignPorts gives ns three free ports not already in used.
func assignPorts(ns *NodeSpec, used map[int]bool) error {
	for _, p := range []*int{&ns.RPCPort, &ns.P2PPort, &ns.MetricsPort} {
		for {
			port, err := freePort()
			if err != nil {
				return fmt.Errorf("pick a port: %w", err)
			}
			if !used[port] {
				used[port] = true
				*p = port
				break
			}
		}
	}
	return nil
}
