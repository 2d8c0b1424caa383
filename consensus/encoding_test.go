package consensus

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"testing"
)

// sampleTxs covers both kinds, empty and full memos and extreme values.
func sampleTxs(t testing.TB) map[string]*Tx {
	p := RegtestParams()
	alice := keyFromSeed("alice")
	bob := seedAddr("bob")
	withMemo := &Tx{Kind: TxTransfer, ChainID: p.ChainID, Nonce: 7, To: bob, Amount: 1, Fee: 1000, Memo: []byte("hello")}
	maxMemo := &Tx{Kind: TxTransfer, ChainID: p.ChainID, Nonce: math.MaxUint64, To: bob,
		Amount: math.MaxUint64, Fee: math.MaxUint64, Memo: bytes.Repeat([]byte{0xa5}, MaxMemoSize)}
	return map[string]*Tx{
		"transfer":           transfer(t, p, alice, 0, bob, 5*Coin, 1000),
		"transfer memo":      signTx(t, withMemo, alice),
		"transfer max memo":  signTx(t, maxMemo, alice),
		"transfer unsigned":  {Kind: TxTransfer, ChainID: 0xffffffff},
		"coinbase":           coinbase(p, 1, bob, 50*Coin),
		"coinbase memo":      {Kind: TxCoinbase, ChainID: 1, Nonce: 99, To: bob, Amount: 3, Memo: []byte{0, 1, 2}},
		"coinbase max memo":  {Kind: TxCoinbase, Memo: bytes.Repeat([]byte{0xff}, MaxMemoSize)},
		"coinbase all zeros": {Kind: TxCoinbase},
	}
}

func sampleBlock(t testing.TB) *Block {
	p := RegtestParams()
	alice := keyFromSeed("alice")
	bob := seedAddr("bob")
	memo := &Tx{Kind: TxTransfer, ChainID: p.ChainID, Nonce: 2, To: bob, Amount: 1, Fee: 2000, Memo: []byte("memo")}
	return buildBlock(t, p, p.GenesisHash, 1, seedAddr("miner"),
		transfer(t, p, alice, 0, bob, 10, 1000),
		transfer(t, p, alice, 1, bob, 20, 1000),
		signTx(t, memo, alice))
}

func TestTxRoundTrip(t *testing.T) {
	for name, tx := range sampleTxs(t) {
		t.Run(name, func(t *testing.T) {
			enc := tx.Encode()
			if len(enc) != tx.EncodedSize() {
				t.Fatalf("EncodedSize %d, len(Encode) %d", tx.EncodedSize(), len(enc))
			}
			got, err := DecodeTx(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if re := got.Encode(); !bytes.Equal(re, enc) {
				t.Fatalf("re-encoding differs:\n%x\n%x", re, enc)
			}
			if got.ID() != tx.ID() {
				t.Fatalf("id changed: %s -> %s", tx.ID(), got.ID())
			}
			if got.SigHash() != tx.SigHash() {
				t.Fatal("sighash changed")
			}
			if tx.Kind == TxTransfer && tx.Sig != ([64]byte{}) {
				if err := got.VerifySignature(); err != nil {
					t.Fatalf("signature after round trip: %v", err)
				}
			}
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	headers := []Header{
		{},
		{Version: BlockVersion, Timestamp: 1_780_000_000, Bits: 0x207fffff, Nonce: 42, Miner: seedAddr("m")},
		{Version: math.MaxUint32, PrevHash: Hash{1, 2, 3}, MerkleRoot: Hash{31: 9}, Timestamp: math.MaxInt64,
			Bits: math.MaxUint32, Nonce: math.MaxUint64, Miner: Address{19: 0xff}},
	}
	for i, h := range headers {
		enc := h.Encode()
		if len(enc) != HeaderSize || HeaderSize != 108 {
			t.Fatalf("%d: header is %d bytes, HeaderSize %d, want 108", i, len(enc), HeaderSize)
		}
		got, err := DecodeHeader(enc)
		if err != nil {
			t.Fatalf("%d: decode: %v", i, err)
		}
		if *got != h || !bytes.Equal(got.Encode(), enc) {
			t.Fatalf("%d: round trip changed the header", i)
		}
		if got.Hash() != DoubleSHA256(enc) || got.Hash() != h.Hash() {
			t.Fatalf("%d: hash is not the double SHA-256 of the encoding", i)
		}
	}
}

func TestBlockRoundTrip(t *testing.T) {
	blocks := map[string]*Block{
		"main genesis":    MainParams().Genesis,
		"test genesis":    TestParams().Genesis,
		"regtest genesis": RegtestParams().Genesis,
		"with transfers":  sampleBlock(t),
		"no txs":          {Header: Header{Version: 1}},
	}
	for name, b := range blocks {
		t.Run(name, func(t *testing.T) {
			enc := b.Encode()
			if len(enc) != b.EncodedSize() {
				t.Fatalf("EncodedSize %d, len(Encode) %d", b.EncodedSize(), len(enc))
			}
			got, err := DecodeBlock(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !bytes.Equal(got.Encode(), enc) {
				t.Fatal("re-encoding differs")
			}
			if got.Hash() != b.Hash() || len(got.Txs) != len(b.Txs) {
				t.Fatal("hash or tx count changed")
			}
			for i, id := range got.TxIDs() {
				if id != b.Txs[i].ID() {
					t.Fatalf("tx %d id changed", i)
				}
			}
		})
	}
}

// TestGoldenEncoding pins the byte layout so an accidental change to the
// encoding (and so to every id and hash) fails loudly. docs/PROTOCOL.md
// quotes these vectors.
func TestGoldenEncoding(t *testing.T) {
	cb := &Tx{Kind: TxCoinbase, ChainID: 0xCA1E0003, Nonce: 1, To: Address{0: 0x11, 19: 0x22}, Amount: 50 * Coin, Memo: []byte("hi")}
	const wantCB = "01" + "ca1e0003" + "0000000000000001" + "1100000000000000000000000000000000000022" +
		"000000012a05f200" + "0002" + "6869"
	if got := hex.EncodeToString(cb.Encode()); got != wantCB {
		t.Fatalf("coinbase encoding\n got %s\nwant %s", got, wantCB)
	}
	if got := cb.ID().String(); got != "552a4283374015cf11767d6299fbeae194d0ca33529e6903119f2c00f5de8f44" {
		t.Fatalf("coinbase id %s", got)
	}
	if got := MerkleRoot([]Hash{{1}, {2}, {3}}).String(); got != "e7fa9b2801ef0f1e784e2814d0021269c9452cb53691ee41958a00fb423e7543" {
		t.Fatalf("merkle root of 3 leaves %s", got)
	}
	if MerkleRoot(nil) != (Hash{}) || MerkleRoot([]Hash{{7}}) != (Hash{7}) {
		t.Fatal("merkle root of 0 or 1 leaves")
	}
	h := Header{Version: 1, PrevHash: Hash{0: 0xaa}, MerkleRoot: Hash{31: 0xbb}, Timestamp: 0x0102030405060708,
		Bits: 0x207fffff, Nonce: 0x1122334455667788, Miner: Address{0: 0xcc}}
	wantH := "00000001" + "aa" + zeros(31) + zeros(31) + "bb" + "0102030405060708" + "207fffff" +
		"1122334455667788" + "cc" + zeros(19)
	if got := hex.EncodeToString(h.Encode()); got != wantH {
		t.Fatalf("header encoding\n got %s\nwant %s", got, wantH)
	}
	// Transfer: kind, chain, pubkey, nonce, to, amount, fee, memo len, memo, sig.
	tr := signTx(t, &Tx{Kind: TxTransfer, ChainID: 2, Nonce: 3, To: Address{1}, Amount: 4, Fee: 5, Memo: []byte{6}}, keyFromSeed("alice"))
	enc := tr.Encode()
	pub := pubOf(keyFromSeed("alice"))
	if enc[0] != 0 || binary.BigEndian.Uint32(enc[1:]) != 2 || !bytes.Equal(enc[5:37], pub[:]) ||
		binary.BigEndian.Uint64(enc[37:]) != 3 || enc[45] != 1 || binary.BigEndian.Uint64(enc[65:]) != 4 ||
		binary.BigEndian.Uint64(enc[73:]) != 5 || binary.BigEndian.Uint16(enc[81:]) != 1 || enc[83] != 6 ||
		!bytes.Equal(enc[84:], tr.Sig[:]) || len(enc) != 148 {
		t.Fatalf("transfer layout wrong: %x", enc)
	}
	if tr.SigHash() != TaggedHash("cairn/tx", enc[:84]) {
		t.Fatal("sighash is not TaggedHash(cairn/tx, encoding without signature)")
	}
}

func zeros(n int) string { return hex.EncodeToString(make([]byte, n)) }

func isCode(err error, code ErrorCode) bool { return errors.Is(err, RuleError{Code: code}) }

func TestDecodeTruncated(t *testing.T) {
	inputs := map[string][]byte{"header": new(Header).Encode(), "block": sampleBlock(t).Encode()}
	for name, tx := range sampleTxs(t) {
		inputs["tx "+name] = tx.Encode()
	}
	for name, enc := range inputs {
		for n := 0; n < len(enc); n++ {
			var err error
			switch {
			case name == "header":
				_, err = DecodeHeader(enc[:n])
			case name == "block":
				_, err = DecodeBlock(enc[:n])
			default:
				_, err = DecodeTx(enc[:n])
			}
			if !isCode(err, ErrDecode) {
				t.Fatalf("%s truncated to %d of %d bytes: got %v, want ErrDecode", name, n, len(enc), err)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	txEnc := sampleTxs(t)["transfer memo"].Encode()
	cbEnc := sampleTxs(t)["coinbase"].Encode()
	hdr := sampleBlock(t).Header.Encode()
	blk := sampleBlock(t).Encode()
	patch := func(b []byte, off int, v ...byte) []byte {
		c := append([]byte(nil), b...)
		copy(c[off:], v)
		return c
	}
	const memoLenOff = 1 + 4 + 32 + 8 + AddressSize + 8 + 8 // in a transfer
	const cbMemoLenOff = 1 + 4 + 8 + AddressSize + 8        // in a coinbase
	const tsOff = 4 + 2*HashSize                            // in a header
	u16 := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cbBigMemo := append(patch(cbEnc, cbMemoLenOff, u16(MaxMemoSize+1)...), make([]byte, MaxMemoSize+1)...)
	trBigMemo := append(patch(txEnc[:memoLenOff], memoLenOff), append(u16(MaxMemoSize+1), make([]byte, MaxMemoSize+1+64)...)...)
	// A block whose only tx is a coinbase with an oversized memo.
	blkBigMemo := append(append(append([]byte(nil), hdr...), u32(1)...), cbBigMemo...)
	// Header + tx count 2^32-1 + a few bytes: cannot fit.
	blkCount := append(append(append([]byte(nil), hdr...), u32(math.MaxUint32)...), make([]byte, 100)...)
	blkCount2 := append(append(append([]byte(nil), hdr...), u32(3)...), cbEnc...)
	tests := []struct {
		name string
		dec  func([]byte) error
		in   []byte
		code ErrorCode
	}{
		{"tx trailing byte", decTx, append(append([]byte(nil), txEnc...), 0), ErrDecode},
		{"coinbase trailing byte", decTx, append(append([]byte(nil), cbEnc...), 0), ErrDecode},
		{"header trailing byte", decHeader, append(append([]byte(nil), hdr...), 0), ErrDecode},
		{"block trailing byte", decBlock, append(append([]byte(nil), blk...), 0), ErrDecode},
		{"tx empty", decTx, nil, ErrDecode},
		{"tx kind 2", decTx, patch(txEnc, 0, 2), ErrDecode},
		{"tx kind 255", decTx, patch(cbEnc, 0, 255), ErrDecode},
		{"block with tx kind 7", decBlock, patch(blk, HeaderSize+4, 7), ErrDecode},
		{"coinbase memo 257", decTx, cbBigMemo, ErrDecode},
		{"coinbase memo 65535 short", decTx, patch(cbEnc, cbMemoLenOff, 0xff, 0xff), ErrDecode},
		{"transfer memo 257", decTx, trBigMemo, ErrTxTooBig},
		{"block memo 257", decBlock, blkBigMemo, ErrDecode},
		{"tx over MaxTxSize", decTx, make([]byte, MaxTxSize+1), ErrTxTooBig},
		{"tx count cannot fit", decBlock, blkCount, ErrDecode},
		{"tx count larger than txs", decBlock, blkCount2, ErrDecode},
		{"header timestamp 2^63", decHeader, patch(hdr, tsOff, 0x80), ErrDecode},
		{"header timestamp 2^64-1", decHeader, patch(hdr, tsOff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), ErrDecode},
		{"block timestamp 2^63", decBlock, patch(blk, tsOff, 0x80), ErrDecode},
		{"block over MaxBlockSizeLimit", decBlock, make([]byte, MaxBlockSizeLimit+1), ErrBlockTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.dec(tc.in)
			if !isCode(err, tc.code) {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
		})
	}
	// Sanity: the unpatched inputs decode, so each reject is due to its patch.
	for i, in := range [][]byte{txEnc, cbEnc} {
		if err := decTx(in); err != nil {
			t.Fatalf("base tx %d: %v", i, err)
		}
	}
	if decHeader(hdr) != nil || decBlock(blk) != nil {
		t.Fatal("base header/block does not decode")
	}
}

func decTx(b []byte) error     { _, err := DecodeTx(b); return err }
func decHeader(b []byte) error { _, err := DecodeHeader(b); return err }
func decBlock(b []byte) error  { _, err := DecodeBlock(b); return err }

// TestDecodeNoPanic feeds deterministic garbage and every single-byte
// corruption of valid encodings; decoders must return, never panic, and a
// success must be canonical.
func TestDecodeNoPanic(t *testing.T) {
	blk := sampleBlock(t).Encode()
	tx := sampleTxs(t)["transfer memo"].Encode()
	for _, base := range [][]byte{blk, tx, blk[:HeaderSize]} {
		for i := range base {
			for _, v := range []byte{0x00, 0x01, 0x80, 0xff} {
				c := append([]byte(nil), base...)
				c[i] ^= v
				if b, err := DecodeBlock(c); err == nil && !bytes.Equal(b.Encode(), c) {
					t.Fatalf("non-canonical block accepted at byte %d", i)
				}
				if x, err := DecodeTx(c); err == nil && !bytes.Equal(x.Encode(), c) {
					t.Fatalf("non-canonical tx accepted at byte %d", i)
				}
				if h, err := DecodeHeader(c); err == nil && !bytes.Equal(h.Encode(), c) {
					t.Fatalf("non-canonical header accepted at byte %d", i)
				}
			}
		}
	}
}

// MerkleRootFrom0 over MerkleBranch0 equals MerkleRoot for every list
// length (odd levels included) and any first id.
func TestMerkleBranch0(t *testing.T) {
	for n := 1; n <= 67; n++ {
		ids := make([]Hash, n)
		for i := range ids {
			ids[i] = DoubleSHA256([]byte{byte(n), byte(i)})
		}
		branch := MerkleBranch0(ids)
		for _, first := range []Hash{ids[0], DoubleSHA256([]byte("other coinbase"))} {
			ids[0] = first
			if got, want := MerkleRootFrom0(first, branch), MerkleRoot(ids); got != want {
				t.Fatalf("n=%d: root from branch %s, MerkleRoot %s", n, got, want)
			}
		}
	}
}
