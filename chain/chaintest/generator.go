// Package chaintest generates deterministic block chains for tests, in the
// spirit of btcd's fullblocktests: keys derived from seed strings, a custom
// regtest genesis that funds them, and a generator that builds valid blocks
// on any named parent while tracking the account state it expects on every
// branch. Mutators turn a valid block into one that breaks exactly one rule.
//
// The generator keeps its own, deliberately simple, model of the state rules
// (nonce, balance, overflow, coinbase value) so tests compare the node
// against an independent expectation rather than against consensus.ApplyBlock.
//
// It is a non-test package so every package's tests can use it; it never
// imports chain, so chain's own tests can import it.
package chaintest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/cairn-chain/cairn/consensus"
)

// Key is a deterministic signing key.
type Key struct {
	Seed   string
	Priv   *btcec.PrivateKey
	PubKey [32]byte
	Addr   consensus.Address
}

// NewKey derives the key whose scalar is SHA-256("chaintest/" + seed).
func NewKey(seed string) *Key {
	h := sha256.Sum256([]byte("chaintest/" + seed))
	priv, _ := btcec.PrivKeyFromBytes(h[:])
	k := &Key{Seed: seed, Priv: priv}
	copy(k.PubKey[:], schnorr.SerializePubKey(priv.PubKey()))
	k.Addr = consensus.AddressFromPubKey(k.PubKey)
	return k
}

// NewKeys derives n keys "<prefix>/0" .. "<prefix>/n-1" on all cores.
func NewKeys(prefix string, n int) []*Key {
	keys := make([]*Key, n)
	parallel(n, func(i int) { keys[i] = NewKey(fmt.Sprintf("%s/%d", prefix, i)) })
	return keys
}

// parallel runs f(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// Options describes a test network and its funded accounts.
type Options struct {
	Name        string // network name; default "chaintest"
	ChainID     uint32 // default 0xC7E57001
	Seed        string // key seed prefix; default Name
	Keys        int    // funded keys; default 10
	Alloc       uint64 // per funded key; default 1000 coins
	ExtraAllocs []consensus.Alloc
	GenesisTime int64 // default 1_700_000_000 (in the past, so a real clock works too)
	// MaxBlockSize, when non-zero, overrides the network's block size limit
	// (the genesis and so the network identity are unchanged).
	MaxBlockSize int
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = "chaintest"
	}
	if o.ChainID == 0 {
		o.ChainID = 0xC7E57001
	}
	if o.Seed == "" {
		o.Seed = o.Name
	}
	if o.Keys == 0 {
		o.Keys = 10
	}
	if o.Alloc == 0 {
		o.Alloc = 1000 * consensus.Coin
	}
	if o.GenesisTime == 0 {
		o.GenesisTime = 1_700_000_000
	}
}

// NewParams builds a regtest-based network (trivial PoW, no retargeting)
// whose genesis funds opts.Keys keys derived from opts.Seed. It returns the
// params and the funded keys in derivation order.
func NewParams(opts Options) (*consensus.Params, []*Key, error) {
	opts.defaults()
	keys := NewKeys(opts.Seed, opts.Keys)
	base := consensus.RegtestParams()
	spec := &consensus.GenesisSpec{Base: "regtest", Name: opts.Name, ChainID: opts.ChainID, Timestamp: opts.GenesisTime}
	add := func(a consensus.Address, amount uint64) {
		spec.Allocs = append(spec.Allocs, struct {
			Address string `json:"address"`
			Amount  uint64 `json:"amount"`
		}{a.Encode(base.AddressHRP), amount})
	}
	for _, k := range keys {
		add(k.Addr, opts.Alloc)
	}
	for _, a := range opts.ExtraAllocs {
		add(a.Address, a.Amount)
	}
	p, err := consensus.CustomParams(spec)
	if err != nil {
		return nil, nil, err
	}
	if opts.MaxBlockSize > 0 {
		p.MaxBlockSize = opts.MaxBlockSize
	}
	return p, keys, nil
}

// ASERTParams turns p (from NewParams) into a retargeting network: ASERT
// with the given spacing and half-life and a pow limit / genesis target of
// powLimitBits. consensus.CustomParams refuses limits at or above 2^224,
// which no CPU can mine in a test; ASERTTarget itself accepts limits below
// 2^239, so this builds the genesis by hand. 0x1e7fffff (2^239 - 2^216)
// takes about 2^17 hashes per block.
func ASERTParams(p *consensus.Params, powLimitBits uint32, spacing, halfLife int64) *consensus.Params {
	q := *p
	q.NoRetarget = false
	q.PowLimitBits = powLimitBits
	limit, neg, over := consensus.CompactToTarget(powLimitBits)
	if neg || over || limit.IsZero() || limit.BitLen() > 239 {
		panic(fmt.Sprintf("chaintest: pow limit %#x unusable for ASERT", powLimitBits))
	}
	q.PowLimit = limit
	q.TargetSpacing, q.ASERTHalfLife = spacing, halfLife
	g := *p.Genesis
	g.Header.Bits = powLimitBits
	q.Genesis = &g
	q.GenesisHash = g.Hash()
	return &q
}

// Block is a generated block and the state the generator expects after it.
type Block struct {
	Name   string
	Block  *consensus.Block
	Hash   consensus.Hash
	Height uint64
	Parent *Block
	// State is the full expected account state after this block (zero
	// accounts omitted). StateErr is set instead when the generator's model
	// says the block cannot be applied (it may still be invalid for other,
	// stateless reasons the model does not track).
	State    consensus.Accounts
	StateErr error
}

// Gen builds blocks on named parents. It is not safe for concurrent use.
type Gen struct {
	Params *consensus.Params
	Keys   []*Key
	Miner  *Key // default coinbase recipient, not funded at genesis
	// NowTime is the clock tests should give the chain (see Now): far
	// enough past genesis that thousands of blocks are not "in the future".
	NowTime int64
	// Spacing is the default timestamp step between blocks.
	Spacing int64

	blocks map[string]*Block
	byHash map[consensus.Hash]*Block
}

// New returns a generator over a fresh network built by NewParams.
func New(opts Options) (*Gen, error) {
	p, keys, err := NewParams(opts)
	if err != nil {
		return nil, err
	}
	return NewWithParams(p, keys), nil
}

// MustNew is New that panics on error.
func MustNew(opts Options) *Gen {
	g, err := New(opts)
	if err != nil {
		panic(err)
	}
	return g
}

// NewWithParams returns a generator over existing params and keys.
func NewWithParams(p *consensus.Params, keys []*Key) *Gen {
	g := &Gen{
		Params:  p,
		Keys:    keys,
		Miner:   NewKey(p.Name + "/miner"),
		NowTime: p.Genesis.Header.Timestamp + 10_000_000,
		Spacing: 10,
		blocks:  map[string]*Block{},
		byHash:  map[consensus.Hash]*Block{},
	}
	st := consensus.Accounts{}
	for _, tx := range p.Genesis.Txs {
		if tx.Amount > 0 {
			a := st[tx.To]
			a.Balance += tx.Amount
			st[tx.To] = a
		}
	}
	gb := &Block{Name: "genesis", Block: p.Genesis, Hash: p.GenesisHash, State: st}
	g.blocks["genesis"] = gb
	g.byHash[gb.Hash] = gb
	return g
}

// Now is the fixed clock to pass as chain.Config.Now.
func (g *Gen) Now() time.Time { return time.Unix(g.NowTime, 0) }

// Block returns the named block; it panics on an unknown name.
func (g *Gen) Block(name string) *Block {
	b := g.blocks[name]
	if b == nil {
		panic(fmt.Sprintf("chaintest: unknown block %q", name))
	}
	return b
}

// ByHash returns the generated block with hash h, or nil.
func (g *Gen) ByHash(h consensus.Hash) *Block { return g.byHash[h] }

// Path returns the blocks from just after genesis up to and including name.
func (g *Gen) Path(name string) []*Block {
	var out []*Block
	for b := g.Block(name); b.Parent != nil; b = b.Parent {
		out = append(out, b)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Account is the expected state of addr after block name.
func (g *Gen) Account(name string, addr consensus.Address) consensus.Account {
	return g.Block(name).State[addr]
}

// Digest is the state digest chain.StateInfo should report after block name:
// SHA-256 of TaggedHash("cairn/state") then every non-zero account in
// address order as address || balance u64 || nonce u64.
func (g *Gen) Digest(name string) consensus.Hash {
	return StateDigest(g.Block(name).State)
}

// StateDigest computes the chain's state digest of st.
func StateDigest(st consensus.Accounts) consensus.Hash {
	addrs := make([]consensus.Address, 0, len(st))
	for a, v := range st {
		if v != (consensus.Account{}) {
			addrs = append(addrs, a)
		}
	}
	sort.Slice(addrs, func(i, j int) bool { return string(addrs[i][:]) < string(addrs[j][:]) })
	h := sha256.New()
	tag := consensus.TaggedHash("cairn/state")
	h.Write(tag[:])
	var buf [16]byte
	for _, a := range addrs {
		v := st[a]
		binary.BigEndian.PutUint64(buf[:8], v.Balance)
		binary.BigEndian.PutUint64(buf[8:], v.Nonce)
		h.Write(a[:])
		h.Write(buf[:])
	}
	var out consensus.Hash
	h.Sum(out[:0])
	return out
}

// MedianTimePast returns the median timestamp of block name and its up to
// 10 ancestors: a child's timestamp must be strictly greater.
func (g *Gen) MedianTimePast(name string) int64 {
	var ts []int64
	for b := g.Block(name); b != nil && len(ts) < consensus.MedianTimeBlocks; b = b.Parent {
		ts = append(ts, b.Block.Header.Timestamp)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)/2]
}

// Tx builds a transfer signed by from with an explicit nonce.
func (g *Gen) Tx(from *Key, nonce uint64, to consensus.Address, amount, fee uint64, memo []byte) *consensus.Tx {
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: g.Params.ChainID, Nonce: nonce, To: to, Amount: amount, Fee: fee, Memo: memo}
	if err := tx.Sign(from.Priv); err != nil {
		panic(err)
	}
	return tx
}

// SignAll signs txs[i] with keys[i] on all cores.
func SignAll(txs []*consensus.Tx, keys []*Key) {
	parallel(len(txs), func(i int) {
		if err := txs[i].Sign(keys[i].Priv); err != nil {
			panic(err)
		}
	})
}

// Draft is a block under construction, handed to Mutators. Fields may be
// changed freely; Finish turns it into a block.
type Draft struct {
	g      *Gen
	Name   string
	Parent *Block
	Height uint64
	// Header: PrevHash, Timestamp, Bits and Miner are preset; MerkleRoot and
	// Nonce are computed when the block is finished.
	Header consensus.Header
	// Txs are the transfers after the coinbase.
	Txs          []*consensus.Tx
	CoinbaseMemo []byte // default: the block name, so every block is unique
	// CoinbaseDelta is added to the correct coinbase amount (wrapping).
	CoinbaseDelta int64
	// CoinbaseHeight, when non-nil, replaces the height the coinbase carries.
	CoinbaseHeight *uint64
	BadMerkle      bool // flip a bit of the computed merkle root
	HighHash       bool // solve for a hash ABOVE the target: bad proof of work
	// Munge edits the finished block (coinbase and merkle root set) just
	// before the nonce search. Use it for header fields the search must see.
	Munge []func(*consensus.Block)

	nonces  map[consensus.Address]uint64
	signers []*Key // signers[i] signs Txs[i] at Finish if non-nil
}

// Mutator edits a draft. Mutators run in order.
type Mutator func(d *Draft)

// Gen returns the draft's generator.
func (d *Draft) Gen() *Gen { return d.g }

// NextNonce is the nonce the next transfer from k gets: the parent state's
// nonce plus the transfers from k already drafted with Transfer.
func (d *Draft) NextNonce(k *Key) uint64 {
	if n, ok := d.nonces[k.Addr]; ok {
		return n
	}
	return d.Parent.State[k.Addr].Nonce
}

// Balance is k's balance in the parent state.
func (d *Draft) Balance(k *Key) uint64 { return d.Parent.State[k.Addr].Balance }

// MTP is the parent's median time past.
func (d *Draft) MTP() int64 { return d.g.MedianTimePast(d.Parent.Name) }

// Transfer appends a transfer from k with the next nonce. It is signed when
// the block is finished (all signatures in parallel) or by SignPending.
func (d *Draft) Transfer(from *Key, to consensus.Address, amount, fee uint64) *consensus.Tx {
	return d.TransferMemo(from, to, amount, fee, nil)
}

// TransferMemo is Transfer with a memo.
func (d *Draft) TransferMemo(from *Key, to consensus.Address, amount, fee uint64, memo []byte) *consensus.Tx {
	n := d.NextNonce(from)
	tx := d.TransferNonce(from, n, to, amount, fee, memo)
	d.nonces[from.Addr] = n + 1
	return tx
}

// TransferNonce appends a transfer with an explicit nonce (nonce tracking
// is not advanced).
func (d *Draft) TransferNonce(from *Key, nonce uint64, to consensus.Address, amount, fee uint64, memo []byte) *consensus.Tx {
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: d.g.Params.ChainID, Nonce: nonce, To: to, Amount: amount, Fee: fee, Memo: memo}
	tx.PubKey = from.PubKey
	d.Txs = append(d.Txs, tx)
	for len(d.signers) < len(d.Txs)-1 {
		d.signers = append(d.signers, nil)
	}
	d.signers = append(d.signers, from)
	return tx
}

// SignPending signs every drafted transfer not yet signed, on all cores.
func (d *Draft) SignPending() {
	var txs []*consensus.Tx
	var keys []*Key
	for i, k := range d.signers {
		if k != nil && i < len(d.Txs) {
			txs = append(txs, d.Txs[i])
			keys = append(keys, k)
		}
	}
	SignAll(txs, keys)
	d.signers = nil
}

// Add appends ready-made transactions (signed or not; they are not re-signed).
func (d *Draft) Add(txs ...*consensus.Tx) { d.Txs = append(d.Txs, txs...) }

// NextBlock builds a block called name on parentName. Without mutators it
// is valid: it carries the parent's expected bits, a timestamp Spacing after
// the parent's (and after its median time past), the right height, a
// coinbase paying subsidy + fees to g.Miner, the merkle root, and a solved
// nonce. The expected state is recorded for the new block.
func (g *Gen) NextBlock(name, parentName string, muts ...Mutator) *Block {
	if _, dup := g.blocks[name]; dup {
		panic(fmt.Sprintf("chaintest: block %q already generated", name))
	}
	parent := g.Block(parentName)
	ph := &parent.Block.Header
	d := &Draft{
		g: g, Name: name, Parent: parent, Height: parent.Height + 1,
		Header: consensus.Header{
			Version:   consensus.BlockVersion,
			PrevHash:  parent.Hash,
			Timestamp: max(ph.Timestamp+g.Spacing, g.MedianTimePast(parentName)+1),
			Bits:      consensus.NextBits(g.Params, parent.Height, ph.Timestamp),
			Miner:     g.Miner.Addr,
		},
		nonces: map[consensus.Address]uint64{},
	}
	for _, m := range muts {
		m(d)
	}
	blk := d.finish()
	b := &Block{Name: name, Block: blk, Hash: blk.Hash(), Height: d.Height, Parent: parent}
	b.State, b.StateErr = g.apply(parent.State, blk, d.Height)
	g.blocks[name] = b
	g.byHash[b.Hash] = b
	return b
}

func (d *Draft) finish() *consensus.Block {
	d.SignPending()
	p := d.g.Params
	var fees uint64
	for _, tx := range d.Txs {
		fees += tx.Fee
	}
	memo := d.CoinbaseMemo
	if memo == nil {
		memo = []byte(d.Name)
	}
	height := d.Height
	if d.CoinbaseHeight != nil {
		height = *d.CoinbaseHeight
	}
	cb := &consensus.Tx{
		Kind: consensus.TxCoinbase, ChainID: p.ChainID, Nonce: height, To: d.Header.Miner,
		Amount: p.Subsidy(d.Height) + fees + uint64(d.CoinbaseDelta), Memo: memo,
	}
	blk := &consensus.Block{Header: d.Header, Txs: append([]*consensus.Tx{cb}, d.Txs...)}
	blk.Header.MerkleRoot = consensus.MerkleRoot(blk.TxIDs())
	if d.BadMerkle {
		blk.Header.MerkleRoot[0] ^= 1
	}
	for _, m := range d.Munge {
		m(blk)
	}
	Solve(&blk.Header, !d.HighHash)
	return blk
}

// Solve searches nonces from 0 until the header's hash is at most its target
// (valid) or, with valid false, above it. Bits that do not decode to a
// positive target are searched against the all-ones target.
func Solve(h *consensus.Header, valid bool) {
	target, neg, over := consensus.CompactToTarget(h.Bits)
	if neg || over || target.IsZero() {
		target.SetAllOne()
	}
	for n := uint64(0); ; n++ {
		h.Nonce = n
		ok := !consensus.HashToBig(h.Hash()).Gt(target)
		if ok == valid {
			return
		}
		if n == math.MaxUint64 {
			panic("chaintest: nonce space exhausted")
		}
	}
}

// apply is the generator's own model of stage 3: it returns the state after
// blk or the first reason the block cannot be applied.
func (g *Gen) apply(parent consensus.Accounts, blk *consensus.Block, height uint64) (consensus.Accounts, error) {
	if parent == nil {
		return nil, fmt.Errorf("parent state unknown")
	}
	st := make(consensus.Accounts, len(parent)+len(blk.Txs))
	for a, v := range parent {
		st[a] = v
	}
	var fees uint64
	for i, tx := range blk.Txs[1:] {
		if tx.Kind != consensus.TxTransfer {
			return nil, fmt.Errorf("tx %d is not a transfer", i+1)
		}
		from := consensus.AddressFromPubKey(tx.PubKey)
		s := st[from]
		if tx.Nonce != s.Nonce {
			return nil, fmt.Errorf("tx %d: nonce %d, account expects %d", i+1, tx.Nonce, s.Nonce)
		}
		if tx.Amount > math.MaxUint64-tx.Fee {
			return nil, fmt.Errorf("tx %d: amount + fee overflows", i+1)
		}
		if s.Balance < tx.Amount+tx.Fee {
			return nil, fmt.Errorf("tx %d: balance %d < %d", i+1, s.Balance, tx.Amount+tx.Fee)
		}
		s.Balance -= tx.Amount + tx.Fee
		s.Nonce++
		st[from] = s
		r := st[tx.To]
		if r.Balance > math.MaxUint64-tx.Amount {
			return nil, fmt.Errorf("tx %d: recipient balance overflows", i+1)
		}
		r.Balance += tx.Amount
		st[tx.To] = r
		if fees > math.MaxUint64-tx.Fee {
			return nil, fmt.Errorf("fees overflow")
		}
		fees += tx.Fee
	}
	reward := g.Params.Subsidy(height)
	if reward > math.MaxUint64-fees {
		return nil, fmt.Errorf("reward overflows")
	}
	reward += fees
	cb := blk.Txs[0]
	if cb.Amount != reward {
		return nil, fmt.Errorf("coinbase pays %d, want %d", cb.Amount, reward)
	}
	m := st[cb.To]
	if m.Balance > math.MaxUint64-reward {
		return nil, fmt.Errorf("miner balance overflows")
	}
	m.Balance += reward
	st[cb.To] = m
	for a, v := range st {
		if v == (consensus.Account{}) {
			delete(st, a)
		}
	}
	return st, nil
}

// ---- Mutators ----

// Pay drafts a transfer from -> to with the next nonce.
func Pay(from *Key, to consensus.Address, amount, fee uint64) Mutator {
	return func(d *Draft) { d.Transfer(from, to, amount, fee) }
}

// PayNonce drafts a transfer with the next nonce plus offset (a gap for
// offset > 0, a replayed nonce for offset < 0).
func PayNonce(from *Key, to consensus.Address, amount, fee uint64, offset int64) Mutator {
	return func(d *Draft) {
		d.TransferNonce(from, uint64(int64(d.NextNonce(from))+offset), to, amount, fee, nil)
	}
}

// PayChainID drafts a transfer signed for another chain id.
func PayChainID(chainID uint32, from *Key, to consensus.Address, amount, fee uint64) Mutator {
	return func(d *Draft) {
		tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: chainID, Nonce: d.NextNonce(from), To: to, Amount: amount, Fee: fee}
		if err := tx.Sign(from.Priv); err != nil {
			panic(err)
		}
		d.Add(tx)
	}
}

// Include appends existing transactions, e.g. to replay one already mined.
func Include(txs ...*consensus.Tx) Mutator { return func(d *Draft) { d.Add(txs...) } }

// DuplicateTx appends a second copy of drafted tx i (signing it first).
func DuplicateTx(i int) Mutator {
	return func(d *Draft) {
		d.SignPending()
		cp := *d.Txs[i]
		d.Add(&cp)
	}
}

// BadSignature corrupts the signature of drafted tx i (signing it first):
// it flips a bit of the nonce point R so the signature parses but fails.
func BadSignature(i int) Mutator {
	return func(d *Draft) {
		d.SignPending()
		d.Txs[i].Sig[31] ^= 1
	}
}

// Timestamp sets the header timestamp.
func Timestamp(ts int64) Mutator { return func(d *Draft) { d.Header.Timestamp = ts } }

// TimestampMTP sets the timestamp to the parent's median time past plus
// delta (delta 0 is the first invalid value, 1 the first valid one).
func TimestampMTP(delta int64) Mutator {
	return func(d *Draft) { d.Header.Timestamp = d.MTP() + delta }
}

// TimestampNow sets the timestamp to the generator's clock plus delta.
func TimestampNow(delta int64) Mutator {
	return func(d *Draft) { d.Header.Timestamp = d.g.NowTime + delta }
}

// Bits sets the header's compact target (the nonce is solved against it).
func Bits(bits uint32) Mutator { return func(d *Draft) { d.Header.Bits = bits } }

// Version sets the header version.
func Version(v uint32) Mutator { return func(d *Draft) { d.Header.Version = v } }

// BadPoW solves the nonce so the hash is above the target.
func BadPoW() Mutator { return func(d *Draft) { d.HighHash = true } }

// BadMerkle flips a bit of the merkle root.
func BadMerkle() Mutator { return func(d *Draft) { d.BadMerkle = true } }

// CoinbaseDelta makes the coinbase pay delta more (or less) than allowed.
func CoinbaseDelta(delta int64) Mutator { return func(d *Draft) { d.CoinbaseDelta = delta } }

// CoinbaseHeight makes the coinbase claim another height.
func CoinbaseHeight(h uint64) Mutator { return func(d *Draft) { d.CoinbaseHeight = &h } }

// CoinbaseMemo sets the coinbase memo (extra nonce).
func CoinbaseMemo(m []byte) Mutator { return func(d *Draft) { d.CoinbaseMemo = m } }

// MinerAddr credits the coinbase to addr.
func MinerAddr(addr consensus.Address) Mutator { return func(d *Draft) { d.Header.Miner = addr } }

// Munge registers a raw edit of the finished block before the nonce search.
func Munge(f func(*consensus.Block)) Mutator {
	return func(d *Draft) { d.Munge = append(d.Munge, f) }
}

// Stuff appends unsigned transfers with full memos until the block is larger
// than size bytes. The block-size rule is checked before signatures, so the
// result fails on size alone.
func Stuff(size int) Mutator {
	return func(d *Draft) {
		k := d.g.Keys[0]
		// A lower bound of the finished size: header, count, memo-less coinbase.
		n := consensus.HeaderSize + 4 + 1 + 4 + 8 + consensus.AddressSize + 8 + 2
		for _, tx := range d.Txs {
			n += tx.EncodedSize()
		}
		for i := uint64(0); n <= size; i++ {
			tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: d.g.Params.ChainID, PubKey: k.PubKey, Nonce: 1<<40 + i, To: k.Addr, Amount: 1, Fee: d.g.Params.MinTxFee, Memo: make([]byte, consensus.MaxMemoSize)}
			d.Add(tx)
			n += tx.EncodedSize()
		}
	}
}
