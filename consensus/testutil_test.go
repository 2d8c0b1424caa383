package consensus

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// Deterministic fixtures shared by the consensus tests. Everything is derived
// from seed strings so failures reproduce bit for bit.

// keyFromSeed returns the private key whose scalar is SHA-256(seed).
func keyFromSeed(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// pubOf returns the 32-byte x-only public key of k.
func pubOf(k *btcec.PrivateKey) [32]byte {
	var pub [32]byte
	copy(pub[:], schnorr.SerializePubKey(k.PubKey()))
	return pub
}

// addrOf returns the account address of k.
func addrOf(k *btcec.PrivateKey) Address { return AddressFromPubKey(pubOf(k)) }

// seedAddr is the address of keyFromSeed(seed).
func seedAddr(seed string) Address { return addrOf(keyFromSeed(seed)) }

// signTx signs tx with k, failing the test on error.
func signTx(t testing.TB, tx *Tx, k *btcec.PrivateKey) *Tx {
	t.Helper()
	if err := tx.Sign(k); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tx
}

// transfer builds a transfer on p's chain signed by k.
func transfer(t testing.TB, p *Params, k *btcec.PrivateKey, nonce uint64, to Address, amount, fee uint64) *Tx {
	t.Helper()
	tx := &Tx{Kind: TxTransfer, ChainID: p.ChainID, Nonce: nonce, To: to, Amount: amount, Fee: fee}
	return signTx(t, tx, k)
}

// coinbase builds the coinbase of a block at height paying amount to miner.
func coinbase(p *Params, height uint64, miner Address, amount uint64) *Tx {
	return &Tx{Kind: TxCoinbase, ChainID: p.ChainID, Nonce: height, To: miner, Amount: amount}
}

// fixMerkle recomputes b's merkle root from its transactions.
func fixMerkle(b *Block) { b.Header.MerkleRoot = MerkleRoot(b.TxIDs()) }

// mine searches nonces from the current one until the header meets its bits.
// Only sensible on regtest bits, where about every second hash qualifies.
func mine(t testing.TB, b *Block, p *Params) {
	t.Helper()
	for i := 0; i < 1<<20; i++ {
		err := CheckProofOfWork(b.Header.Hash(), b.Header.Bits, p.PowLimit)
		if err == nil {
			return
		}
		if !errors.Is(err, RuleError{Code: ErrHighHash}) {
			t.Fatalf("mine: %v", err)
		}
		b.Header.Nonce++
	}
	t.Fatalf("mine: no nonce found for bits %#x", b.Header.Bits)
}

// unmine searches nonces until the header does NOT meet its bits.
func unmine(t testing.TB, b *Block, p *Params) {
	t.Helper()
	for i := 0; i < 1<<20; i++ {
		if CheckProofOfWork(b.Header.Hash(), b.Header.Bits, p.PowLimit) != nil {
			return
		}
		b.Header.Nonce++
	}
	t.Fatalf("unmine: every nonce meets bits %#x", b.Header.Bits)
}

// buildBlock makes a valid, mined block at height on top of parent: a
// coinbase paying exactly subsidy + fees to miner, then txs. The timestamp is
// genesis time + height seconds.
func buildBlock(t testing.TB, p *Params, parent Hash, height uint64, miner Address, txs ...*Tx) *Block {
	t.Helper()
	var fees uint64
	for _, tx := range txs {
		fees += tx.Fee
	}
	b := &Block{
		Header: Header{
			Version:   BlockVersion,
			PrevHash:  parent,
			Timestamp: p.Genesis.Header.Timestamp + int64(height),
			Bits:      p.Genesis.Header.Bits,
			Miner:     miner,
		},
		Txs: append([]*Tx{coinbase(p, height, miner, p.Subsidy(height)+fees)}, txs...),
	}
	fixMerkle(b)
	mine(t, b, p)
	return b
}

// wantCode fails unless err carries code (0 means err must be nil).
func wantCode(t testing.TB, err error, code ErrorCode) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, RuleError{Code: code}) {
		t.Fatalf("got error %v, want %v", err, code)
	}
}
