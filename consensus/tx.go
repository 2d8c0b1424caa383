package consensus

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// TxKind tells a transfer from a coinbase; it is the first encoded byte.
type TxKind uint8

const (
	// TxTransfer moves Amount from the signer's account to To and pays Fee.
	TxTransfer TxKind = 0
	// TxCoinbase credits the block's miner with subsidy + fees. It has no
	// signer; Nonce carries the block height so every coinbase is unique.
	TxCoinbase TxKind = 1
)

// Size limits that hold on every network.
const (
	MaxMemoSize = 256
	// transferFixedSize is a transfer's encoding without its memo bytes.
	transferFixedSize = 1 + 4 + 32 + 8 + AddressSize + 8 + 8 + 2 + 64
	coinbaseFixedSize = 1 + 4 + 8 + AddressSize + 8 + 2
	// MaxTxSize bounds the encoding of any single transaction.
	MaxTxSize = transferFixedSize + MaxMemoSize
	// minTxSize is the smallest possible tx encoding, used to bound allocation.
	minTxSize = coinbaseFixedSize
)

// Tx is a transaction. Field order is the encoding order.
type Tx struct {
	Kind    TxKind
	ChainID uint32
	PubKey  [32]byte // x-only BIP-340 key of the sender (transfer only)
	Nonce   uint64   // sender's account nonce; block height for a coinbase
	To      Address
	Amount  uint64
	Fee     uint64 // transfer only; the coinbase encodes none
	Memo    []byte // free data; a coinbase's memo is the miner's extra nonce
	Sig     [64]byte
}

// Sender returns the address of the signing key (zero for a coinbase).
func (tx *Tx) Sender() Address {
	if tx.Kind != TxTransfer {
		return Address{}
	}
	return AddressFromPubKey(tx.PubKey)
}

// IsCoinbase reports whether tx is a coinbase.
func (tx *Tx) IsCoinbase() bool { return tx.Kind == TxCoinbase }

// Encode returns the canonical encoding.
func (tx *Tx) Encode() []byte {
	w := writer{b: make([]byte, 0, tx.EncodedSize())}
	tx.encode(&w, true)
	return w.b
}

// EncodedSize is len(tx.Encode()) without encoding.
func (tx *Tx) EncodedSize() int {
	if tx.Kind == TxCoinbase {
		return coinbaseFixedSize + len(tx.Memo)
	}
	return transferFixedSize + len(tx.Memo)
}

func (tx *Tx) encode(w *writer, withSig bool) {
	w.u8(uint8(tx.Kind))
	w.u32(tx.ChainID)
	if tx.Kind == TxCoinbase {
		w.u64(tx.Nonce)
		w.bytes(tx.To[:])
		w.u64(tx.Amount)
		w.u16(uint16(len(tx.Memo)))
		w.bytes(tx.Memo)
		return
	}
	w.bytes(tx.PubKey[:])
	w.u64(tx.Nonce)
	w.bytes(tx.To[:])
	w.u64(tx.Amount)
	w.u64(tx.Fee)
	w.u16(uint16(len(tx.Memo)))
	w.bytes(tx.Memo)
	if withSig {
		w.bytes(tx.Sig[:])
	}
}

// ID is the double SHA-256 of the full encoding, signature included.
func (tx *Tx) ID() Hash { return DoubleSHA256(tx.Encode()) }

// SigHash is the message a sender signs: a tagged hash of the encoding
// without the signature. The tag keeps it distinct from every other hash, and
// the encoded chain ID keeps a signature from being replayed on another network.
func (tx *Tx) SigHash() Hash {
	w := writer{b: make([]byte, 0, tx.EncodedSize())}
	tx.encode(&w, false)
	return TaggedHash("cairn/tx", w.b)
}

// Sign sets PubKey from priv and signs the transaction with BIP-340 Schnorr.
func (tx *Tx) Sign(priv *btcec.PrivateKey) error {
	if tx.Kind != TxTransfer {
		return fmt.Errorf("only transfers are signed")
	}
	copy(tx.PubKey[:], schnorr.SerializePubKey(priv.PubKey()))
	h := tx.SigHash()
	sig, err := schnorr.Sign(priv, h[:])
	if err != nil {
		return fmt.Errorf("sign tx: %w", err)
	}
	copy(tx.Sig[:], sig.Serialize())
	return nil
}

// VerifySignature checks the Schnorr signature of a transfer.
func (tx *Tx) VerifySignature() error {
	if tx.Kind != TxTransfer {
		return ruleErr(ErrBadSignature, "coinbase carries no signature")
	}
	pub, err := schnorr.ParsePubKey(tx.PubKey[:])
	if err != nil {
		return ruleErr(ErrBadPubKey, "public key: %v", err)
	}
	sig, err := schnorr.ParseSignature(tx.Sig[:])
	if err != nil {
		return ruleErr(ErrBadSignature, "signature: %v", err)
	}
	h := tx.SigHash()
	if !sig.Verify(h[:], pub) {
		return ruleErr(ErrBadSignature, "signature does not verify")
	}
	return nil
}

// DecodeTx parses exactly one transaction; trailing bytes are an error.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, decodeErr("tx", ruleErr(ErrTxTooBig, "%d bytes, max %d", len(b), MaxTxSize))
	}
	r := reader{b: b}
	tx := decodeTx(&r)
	if err := r.done("tx"); err != nil {
		return nil, decodeErr("tx", err)
	}
	return tx, nil
}

func decodeTx(r *reader) *Tx {
	tx := &Tx{}
	kind := r.u8("tx kind")
	if r.err != nil {
		return nil
	}
	tx.Kind = TxKind(kind)
	if tx.Kind != TxTransfer && tx.Kind != TxCoinbase {
		r.fail("unknown tx kind %d", kind)
		return nil
	}
	tx.ChainID = r.u32("chain id")
	if tx.Kind == TxTransfer {
		r.fixed(tx.PubKey[:], "pubkey")
	}
	tx.Nonce = r.u64("nonce")
	r.fixed(tx.To[:], "to")
	tx.Amount = r.u64("amount")
	if tx.Kind == TxTransfer {
		tx.Fee = r.u64("fee")
	}
	n := int(r.u16("memo length"))
	if n > MaxMemoSize {
		r.fail("memo length %d exceeds %d", n, MaxMemoSize)
	}
	if n > 0 {
		if m := r.take(n, "memo"); m != nil {
			tx.Memo = append([]byte(nil), m...)
		}
	}
	if tx.Kind == TxTransfer {
		r.fixed(tx.Sig[:], "signature")
	}
	if r.err != nil {
		return nil
	}
	return tx
}
