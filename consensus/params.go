package consensus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/holiman/uint256"
)

// Coin is the number of base units in one coin.
const Coin uint64 = 100_000_000

// MedianTimeBlocks is how many previous timestamps the median-time rule uses.
const MedianTimeBlocks = 11

// BlockVersion is the only header version this release accepts.
const BlockVersion = 1

// Params holds everything that distinguishes one network from another. Values
// are built fresh by the constructors below, so no caller can mutate another's.
type Params struct {
	Name       string // "main", "test", "regtest" or a custom testnet's name
	ChainID    uint32 // signed into every tx: replay protection across networks
	AddressHRP string // bech32m prefix

	PowLimitBits uint32       // easiest allowed target, compact form
	PowLimit     *uint256.Int // PowLimitBits decoded
	NoRetarget   bool         // regtest: every block carries the genesis bits
	// TargetSpacing is the intended seconds between blocks; ASERTHalfLife the
	// seconds ahead/behind schedule that halve/double the target.
	TargetSpacing int64
	ASERTHalfLife int64

	InitialSubsidy  uint64 // base units paid at height 1
	HalvingInterval uint64 // blocks between subsidy halvings

	MaxBlockSize       int    // encoded block bytes
	MaxBlockTxs        int    // transactions per block, coinbase included
	MinTxFee           uint64 // base units per transfer
	MaxFutureBlockTime int64  // seconds a timestamp may run ahead of the local clock

	DefaultP2PPort int
	DefaultRPCPort int

	Genesis     *Block
	GenesisHash Hash
	// GenesisAllocs is the state the genesis block creates, for display.
	GenesisAllocs []Alloc

	// Checkpoints pin known main-chain blocks (none on regtest and custom
	// networks). MinChainWork is the least cumulative work a branch must
	// show before a node stores its headers or downloads its blocks, so a
	// new node cannot be fed a long cheap chain (nil means no minimum).
	Checkpoints  []Checkpoint
	MinChainWork *uint256.Int
}

// Alloc pre-funds an account in a genesis block.
type Alloc struct {
	Address Address `json:"address"`
	Amount  uint64  `json:"amount"`
}

// Subsidy is the new coins a block at height may pay its miner.
func (p *Params) Subsidy(height uint64) uint64 {
	if p.HalvingInterval == 0 {
		return p.InitialSubsidy
	}
	halvings := height / p.HalvingInterval
	if halvings >= 64 {
		return 0
	}
	return p.InitialSubsidy >> halvings
}

// MainParams returns the main network's parameters.
func MainParams() *Params {
	p := &Params{
		Name: "main", ChainID: 0xCA1E0001, AddressHRP: "cairn",
		PowLimitBits: 0x1e0fffff, TargetSpacing: 60, ASERTHalfLife: 6 * 3600,
		InitialSubsidy: 50 * Coin, HalvingInterval: 2_100_000,
		MaxBlockSize: 1 << 20, MaxBlockTxs: 6000, MinTxFee: 1000,
		MaxFutureBlockTime: 2 * 3600, DefaultP2PPort: 9633, DefaultRPCPort: 9632,
	}
	mustGenesis(p, 1_780_000_000, "cairn main genesis", nil)
	pinGenesis(p)
	return p
}

// TestParams returns the public test network's parameters.
func TestParams() *Params {
	p := &Params{
		Name: "test", ChainID: 0xCA1E0002, AddressHRP: "tcairn",
		PowLimitBits: 0x1e7fffff, TargetSpacing: 30, ASERTHalfLife: 3600,
		InitialSubsidy: 50 * Coin, HalvingInterval: 2_100_000,
		MaxBlockSize: 1 << 20, MaxBlockTxs: 6000, MinTxFee: 1000,
		MaxFutureBlockTime: 2 * 3600, DefaultP2PPort: 19633, DefaultRPCPort: 19632,
	}
	mustGenesis(p, 1_780_000_000, "cairn test genesis", nil)
	pinGenesis(p)
	return p
}

// RegtestParams returns the regression-test network: trivial PoW, no
// retargeting, fast halvings, so tests mine blocks instantly.
func RegtestParams() *Params {
	p := &Params{
		Name: "regtest", ChainID: 0xCA1E0003, AddressHRP: "rcairn",
		PowLimitBits: 0x207fffff, NoRetarget: true, TargetSpacing: 1, ASERTHalfLife: 3600,
		InitialSubsidy: 50 * Coin, HalvingInterval: 150,
		MaxBlockSize: 1 << 20, MaxBlockTxs: 6000, MinTxFee: 1000,
		MaxFutureBlockTime: 2 * 3600, DefaultP2PPort: 29633, DefaultRPCPort: 29632,
	}
	mustGenesis(p, 1_780_000_000, "cairn regtest genesis", nil)
	return p
}

// ParamsByName returns a built-in network.
func ParamsByName(name string) (*Params, error) {
	switch name {
	case "main", "mainnet":
		return MainParams(), nil
	case "test", "testnet":
		return TestParams(), nil
	case "regtest":
		return RegtestParams(), nil
	}
	return nil, fmt.Errorf("unknown network %q (want main, test or regtest)", name)
}

// GenesisSpec describes a custom network derived from a built-in one: its own
// name, chain ID, timing and pre-funded accounts. It is what `cairn testnet`
// writes to genesis.json and every node of that network loads.
type GenesisSpec struct {
	Base          string `json:"base"` // "regtest", "test" or "main"
	Name          string `json:"name"`
	ChainID       uint32 `json:"chain_id"`
	Timestamp     int64  `json:"timestamp"`
	Bits          uint32 `json:"bits,omitempty"`           // genesis difficulty; default PowLimitBits
	PowLimitBits  uint32 `json:"pow_limit_bits,omitempty"` // default: the base's
	TargetSpacing int64  `json:"target_spacing,omitempty"` // seconds
	HalfLife      int64  `json:"half_life,omitempty"`      // seconds
	NoRetarget    *bool  `json:"no_retarget,omitempty"`
	Message       string `json:"message,omitempty"`
	// Allocs use bech32m strings in JSON so people can read and edit them.
	Allocs []struct {
		Address string `json:"address"`
		Amount  uint64 `json:"amount"`
	} `json:"allocs"`
}

// ParseGenesisSpec decodes JSON strictly (unknown fields are errors).
func ParseGenesisSpec(b []byte) (*GenesisSpec, error) {
	var s GenesisSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("genesis spec: %w", err)
	}
	return &s, nil
}

// CustomParams builds a network from a spec.
func CustomParams(s *GenesisSpec) (*Params, error) {
	p, err := ParamsByName(s.Base)
	if err != nil {
		return nil, err
	}
	if s.Name == "" || s.ChainID == 0 {
		return nil, fmt.Errorf("genesis spec: name and chain_id are required")
	}
	p.Name, p.ChainID = s.Name, s.ChainID
	// A custom network has its own genesis: none of the base's history.
	p.Checkpoints, p.MinChainWork = nil, nil
	if s.PowLimitBits != 0 {
		p.PowLimitBits = s.PowLimitBits
	}
	if s.Timestamp < 0 {
		// Timestamps are encoded as u64 and values >= 2^63 do not decode.
		return nil, fmt.Errorf("genesis spec: negative timestamp")
	}
	if s.TargetSpacing < 0 || s.HalfLife < 0 {
		return nil, fmt.Errorf("genesis spec: negative timing")
	}
	if s.TargetSpacing > 0 {
		p.TargetSpacing = s.TargetSpacing
	}
	if s.HalfLife > 0 {
		p.ASERTHalfLife = s.HalfLife
	}
	if s.NoRetarget != nil {
		p.NoRetarget = *s.NoRetarget
	}
	var allocs []Alloc
	var total uint64
	for _, a := range s.Allocs {
		addr, err := DecodeAddress(a.Address, p.AddressHRP)
		if err != nil {
			return nil, fmt.Errorf("genesis spec: %w", err)
		}
		if total+a.Amount < total {
			return nil, fmt.Errorf("genesis spec: allocations overflow")
		}
		total += a.Amount
		allocs = append(allocs, Alloc{Address: addr, Amount: a.Amount})
	}
	msg := s.Message
	if msg == "" {
		msg = "cairn " + s.Name + " genesis"
	}
	if err := buildGenesis(p, s.Timestamp, msg, allocs, s.Bits); err != nil {
		return nil, err
	}
	return p, nil
}

// pinGenesis sets the public networks' checkpoints and minimum chain work.
// The networks have no history yet beyond genesis; each release that ships
// after the chain grows raises both to a block that release has seen, as
// Bitcoin Core does.
func pinGenesis(p *Params) {
	p.Checkpoints = []Checkpoint{{Height: 0, Hash: p.GenesisHash}}
	p.MinChainWork = WorkForBits(p.Genesis.Header.Bits)
}

func mustGenesis(p *Params, ts int64, msg string, allocs []Alloc) {
	if err := buildGenesis(p, ts, msg, allocs, 0); err != nil {
		panic(err) // built-in parameters are constants; a failure is a programming error
	}
}

// buildGenesis makes the genesis block: one coinbase per allocation (or one
// zero-value coinbase carrying msg when there are none). Genesis is the chain's
// anchor and is not itself checked against the rules.
func buildGenesis(p *Params, ts int64, msg string, allocs []Alloc, bits uint32) error {
	limit, neg, over := compactToTargetRaw(p.PowLimitBits)
	if neg || over || limit.IsZero() {
		return fmt.Errorf("invalid pow limit bits %#x", p.PowLimitBits)
	}
	if !p.NoRetarget && limit.BitLen() > 239 {
		// ASERT multiplies the target by up to 2^17; keep it within 256 bits.
		// ASERTTarget panics on such a limit, so refuse the network here.
		return fmt.Errorf("pow limit %#x too easy for ASERT (must be below 2^239)", p.PowLimitBits)
	}
	p.PowLimit = limit
	if bits == 0 {
		bits = p.PowLimitBits
	}
	// The genesis bits anchor ASERT (which panics on an invalid anchor) and
	// are every block's bits on a no-retarget network.
	if t, neg, over := compactToTargetRaw(bits); neg || over || t.IsZero() || t.Gt(limit) {
		return fmt.Errorf("genesis bits %#x invalid or above the pow limit", bits)
	}
	if len(msg) > MaxMemoSize {
		return fmt.Errorf("genesis message longer than %d bytes", MaxMemoSize)
	}
	sorted := append([]Alloc(nil), allocs...)
	sort.Slice(sorted, func(i, j int) bool { return string(sorted[i].Address[:]) < string(sorted[j].Address[:]) })
	txs := []*Tx{}
	for i, a := range sorted {
		if i > 0 && sorted[i-1].Address == a.Address {
			return fmt.Errorf("genesis allocates to %s twice", a.Address.Encode(p.AddressHRP))
		}
		txs = append(txs, &Tx{Kind: TxCoinbase, ChainID: p.ChainID, To: a.Address, Amount: a.Amount})
	}
	if len(txs) == 0 {
		txs = append(txs, &Tx{Kind: TxCoinbase, ChainID: p.ChainID})
	}
	txs[0].Memo = []byte(msg)
	blk := &Block{Header: Header{Version: BlockVersion, Timestamp: ts, Bits: bits}, Txs: txs}
	blk.Header.MerkleRoot = MerkleRoot(blk.TxIDs())
	p.Genesis, p.GenesisHash, p.GenesisAllocs = blk, blk.Hash(), sorted
	return nil
}

// compactToTargetRaw decodes compact bits without depending on pow.go's API
// shape; it mirrors Bitcoin Core's SetCompact.
func compactToTargetRaw(bits uint32) (*uint256.Int, bool, bool) {
	size := bits >> 24
	word := bits & 0x007fffff
	t := new(uint256.Int)
	if size <= 3 {
		t.SetUint64(uint64(word >> (8 * (3 - size))))
	} else {
		t.SetUint64(uint64(word))
		t.Lsh(t, uint(8*(size-3)))
	}
	neg := word != 0 && bits&0x00800000 != 0
	over := word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32))
	return t, neg, over
}
