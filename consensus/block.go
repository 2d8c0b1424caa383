package consensus

import (
	"math"
	"runtime"
	"sync"
)

// HeaderSize is the encoded size of a block header.
const HeaderSize = 4 + HashSize + HashSize + 8 + 4 + 8 + AddressSize

// MaxBlockSizeLimit bounds any block a decoder will accept, on any network;
// each network's MaxBlockSize rule is tighter.
const MaxBlockSizeLimit = 8 << 20

// Header is a block header. Field order is the encoding order.
type Header struct {
	Version    uint32
	PrevHash   Hash
	MerkleRoot Hash
	Timestamp  int64 // Unix seconds; encoded as u64, values >= 2^63 are invalid
	Bits       uint32
	Nonce      uint64
	Miner      Address // credited by the coinbase
}

// Block is a header and its transactions; Txs[0] is the coinbase.
type Block struct {
	Header Header
	Txs    []*Tx
}

// Encode returns the canonical 108-byte header encoding.
func (h *Header) Encode() []byte {
	w := writer{b: make([]byte, 0, HeaderSize)}
	h.encode(&w)
	return w.b
}

func (h *Header) encode(w *writer) {
	w.u32(h.Version)
	w.bytes(h.PrevHash[:])
	w.bytes(h.MerkleRoot[:])
	w.u64(uint64(h.Timestamp))
	w.u32(h.Bits)
	w.u64(h.Nonce)
	w.bytes(h.Miner[:])
}

// Hash is the double SHA-256 of the encoded header.
func (h *Header) Hash() Hash {
	var buf [HeaderSize]byte
	w := writer{b: buf[:0]}
	h.encode(&w)
	return DoubleSHA256(w.b)
}

// DecodeHeader parses exactly one header.
func DecodeHeader(b []byte) (*Header, error) {
	r := reader{b: b}
	h := decodeHeader(&r)
	if err := r.done("header"); err != nil {
		return nil, decodeErr("header", err)
	}
	return h, nil
}

// DecodeHeaderInto parses exactly one header into h without allocating,
// for loading a long chain's header index.
func DecodeHeaderInto(b []byte, h *Header) error {
	r := reader{b: b}
	decodeHeaderInto(&r, h)
	if err := r.done("header"); err != nil {
		return decodeErr("header", err)
	}
	return nil
}

func decodeHeader(r *reader) *Header {
	h := &Header{}
	if !decodeHeaderInto(r, h) {
		return nil
	}
	return h
}

func decodeHeaderInto(r *reader, h *Header) bool {
	h.Version = r.u32("version")
	r.fixed(h.PrevHash[:], "prev hash")
	r.fixed(h.MerkleRoot[:], "merkle root")
	ts := r.u64("timestamp")
	if ts > math.MaxInt64 {
		r.fail("timestamp %d out of range", ts)
	}
	h.Timestamp = int64(ts)
	h.Bits = r.u32("bits")
	h.Nonce = r.u64("nonce")
	r.fixed(h.Miner[:], "miner")
	return r.err == nil
}

// Hash is the block's header hash.
func (b *Block) Hash() Hash { return b.Header.Hash() }

// EncodedSize is len(b.Encode()) without encoding.
func (b *Block) EncodedSize() int {
	n := HeaderSize + 4
	for _, tx := range b.Txs {
		n += tx.EncodedSize()
	}
	return n
}

// Encode returns header || u32 tx count || txs.
func (b *Block) Encode() []byte {
	w := writer{b: make([]byte, 0, b.EncodedSize())}
	b.Header.encode(&w)
	w.u32(uint32(len(b.Txs)))
	for _, tx := range b.Txs {
		tx.encode(&w, true)
	}
	return w.b
}

// MaxBlockTxsLimit is the most transactions a decodable block can hold: a
// MaxBlockSizeLimit block of the smallest possible transactions. Each
// network's MaxBlockTxs rule is far tighter.
const MaxBlockTxsLimit = (MaxBlockSizeLimit - HeaderSize - 4) / minTxSize

// preallocTxs caps the tx slice DecodeBlock allocates from the claimed
// count; a block with more transactions grows it as they actually decode,
// so a lying count costs nothing it does not back with bytes.
const preallocTxs = 8192

// DecodeBlock parses exactly one block of at most MaxBlockSizeLimit bytes.
// The tx count is checked against MaxBlockTxsLimit and the remaining bytes
// before anything is allocated for it.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxBlockSizeLimit {
		return nil, decodeErr("block", ruleErr(ErrBlockTooBig, "%d bytes, max %d", len(b), MaxBlockSizeLimit))
	}
	r := reader{b: b}
	h := decodeHeader(&r)
	n := r.u32("tx count")
	switch {
	case r.err != nil:
	case n > MaxBlockTxsLimit:
		r.fail("tx count %d exceeds %d", n, MaxBlockTxsLimit)
	case uint64(n)*minTxSize > uint64(len(b)-r.off):
		r.fail("tx count %d cannot fit in %d bytes", n, len(b)-r.off)
	}
	if r.err != nil {
		return nil, decodeErr("block", r.err)
	}
	blk := &Block{Header: *h, Txs: make([]*Tx, 0, min(n, preallocTxs))}
	for i := uint32(0); i < n && r.err == nil; i++ {
		start := r.off
		tx := decodeTx(&r)
		if r.err == nil && r.off-start > MaxTxSize {
			r.fail("tx %d: %d bytes exceeds %d", i, r.off-start, MaxTxSize)
		}
		blk.Txs = append(blk.Txs, tx)
	}
	if err := r.done("block"); err != nil {
		return nil, decodeErr("block", err)
	}
	return blk, nil
}

// TxIDs returns the ids of b's transactions in order.
func (b *Block) TxIDs() []Hash {
	ids := make([]Hash, len(b.Txs))
	// Hashing a full block's txs is the serial step before its
	// signatures can be checked: split it over the cores.
	workers := min(runtime.GOMAXPROCS(0), len(b.Txs)/512)
	if workers <= 1 {
		for i, tx := range b.Txs {
			ids[i] = tx.ID()
		}
		return ids
	}
	chunk := (len(b.Txs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(b.Txs); lo += chunk {
		hi := min(lo+chunk, len(b.Txs))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				ids[i] = b.Txs[i].ID()
			}
		})
	}
	wg.Wait()
	return ids
}

// MerkleRoot computes the root over tx ids. Inner nodes are tagged hashes of
// left||right; an odd node is carried up unchanged rather than paired with
// itself, so no two different id lists share a root (unlike Bitcoin's
// CVE-2012-2459 duplication). An empty list has the zero root.
func MerkleRoot(ids []Hash) Hash {
	if len(ids) == 0 {
		return Hash{}
	}
	level := append([]Hash(nil), ids...)
	for len(level) > 1 {
		level = merkleLevel(level)
	}
	return level[0]
}

// merkleLevel hashes level's pairs in place into the next level up and
// returns it; an odd last node is carried up unchanged.
func merkleLevel(level []Hash) []Hash {
	var buf [2 * HashSize]byte
	next := level[:0]
	for i := 0; i < len(level); i += 2 {
		if i+1 == len(level) {
			next = append(next, level[i])
			continue
		}
		copy(buf[:HashSize], level[i][:])
		copy(buf[HashSize:], level[i+1][:])
		next = append(next, TaggedHash("cairn/merkle", buf[:]))
	}
	return next
}

// MerkleBranch0 returns the hashes MerkleRoot pairs ids[0] with, bottom up.
// A miner that only changes the coinbase (its extra nonce) recomputes the
// root from them with MerkleRootFrom0 in log2(n) hashes instead of n.
func MerkleBranch0(ids []Hash) []Hash {
	var branch []Hash
	level := append([]Hash(nil), ids...)
	for len(level) > 1 {
		branch = append(branch, level[1])
		level = merkleLevel(level)
	}
	return branch
}

// MerkleRootFrom0 is MerkleRoot of a list whose first id is id0 and whose
// MerkleBranch0 is branch. The first node of every level has a sibling
// (only a level's last node can be odd), so each step is one hash.
func MerkleRootFrom0(id0 Hash, branch []Hash) Hash {
	var buf [2 * HashSize]byte
	h := id0
	for _, s := range branch {
		copy(buf[:HashSize], h[:])
		copy(buf[HashSize:], s[:])
		h = TaggedHash("cairn/merkle", buf[:])
	}
	return h
}
