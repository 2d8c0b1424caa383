package mempool

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"

	"github.com/cairn-chain/cairn/consensus"
)

// memState is account state held in a map: the tip as a test sets it.
type memState struct {
	mu sync.Mutex
	m  consensus.Accounts
}

func newMemState() *memState { return &memState{m: make(consensus.Accounts)} }

func (s *memState) Account(a consensus.Address) (consensus.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[a], nil
}

func (s *memState) set(a consensus.Address, balance, nonce uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[a] = consensus.Account{Balance: balance, Nonce: nonce}
}

// snapshot copies the state, e.g. to apply a template to.
func (s *memState) snapshot() consensus.Accounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(consensus.Accounts, len(s.m))
	for a, v := range s.m {
		c[a] = v
	}
	return c
}

// connect applies txs as a block would, failing the test if one does not apply.
func (s *memState) connect(t testing.TB, txs ...*consensus.Tx) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tx := range txs {
		if err := consensus.ApplyTx(s.m, tx); err != nil {
			t.Fatalf("apply %d: %v", tx.Nonce, err)
		}
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type key struct {
	priv *btcec.PrivateKey
	pub  [32]byte
	addr consensus.Address
}

// newKey derives a deterministic key from i.
func newKey(i int) *key {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i))
	h := sha256.Sum256(append([]byte("cairn mempool test key"), seed[:]...))
	priv, _ := btcec.PrivKeyFromBytes(h[:])
	var pub [32]byte
	copy(pub[:], schnorr.SerializePubKey(priv.PubKey()))
	return &key{priv: priv, pub: pub, addr: consensus.AddressFromPubKey(pub)}
}

// fastTx is tx for mass signing: the same BIP-340 signature as Tx.Sign, but
// without Sign's self-check and with the cached public key, about a third of
// the work (tests sign thousands of txs under the race detector).
func (k *key) fastTx(tb testing.TB, p *consensus.Params, nonce, fee uint64) *consensus.Tx {
	tb.Helper()
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, Nonce: nonce, To: sink, Amount: 1000, Fee: fee, PubKey: k.pub}
	h := tx.SigHash()
	sig, err := schnorr.Sign(k.priv, h[:], schnorr.FastSign())
	if err != nil {
		tb.Fatal(err)
	}
	copy(tx.Sig[:], sig.Serialize())
	return tx
}

var sink = newKey(1 << 30).addr // default recipient

// tx signs a transfer of 1000 units to sink; edit changes fields before signing.
func (k *key) tx(tb testing.TB, p *consensus.Params, nonce, fee uint64, edit ...func(*consensus.Tx)) *consensus.Tx {
	tb.Helper()
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, Nonce: nonce, To: sink, Amount: 1000, Fee: fee}
	for _, f := range edit {
		f(tx)
	}
	if err := tx.Sign(k.priv); err != nil {
		tb.Fatal(err)
	}
	return tx
}

func withAmount(a uint64) func(*consensus.Tx) { return func(tx *consensus.Tx) { tx.Amount = a } }
func withTo(a consensus.Address) func(*consensus.Tx) {
	return func(tx *consensus.Tx) { tx.To = a }
}
func withMemo(n int) func(*consensus.Tx) {
	return func(tx *consensus.Tx) { tx.Memo = make([]byte, n) }
}

type fixture struct {
	params *consensus.Params
	state  *memState
	clock  *clock
	pool   *Pool
}

func newFixture(tb testing.TB, edit func(*Config)) *fixture {
	tb.Helper()
	f := &fixture{
		params: consensus.RegtestParams(),
		state:  newMemState(),
		clock:  &clock{t: time.Unix(1_780_000_000, 0)},
	}
	cfg := Config{Params: f.params, State: f.state, Now: f.clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	f.pool = New(cfg)
	return f
}

// mustAdd adds txs, failing the test on any error.
func (f *fixture) mustAdd(tb testing.TB, txs ...*consensus.Tx) {
	tb.Helper()
	for _, tx := range txs {
		if _, err := f.pool.Add(tx); err != nil {
			tb.Fatalf("add nonce %d fee %d: %v", tx.Nonce, tx.Fee, err)
		}
	}
}

// block wraps txs behind a coinbase.
func block(p *consensus.Params, height uint64, txs ...*consensus.Tx) *consensus.Block {
	cb := &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: p.ChainID, Nonce: height, To: sink, Amount: p.Subsidy(height)}
	return &consensus.Block{Txs: append([]*consensus.Tx{cb}, txs...)}
}

// txSize is the encoding of a transfer without memo.
var txSize = minTransferSize
