package chain

import (
	"encoding/binary"
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
)

// LevelDB key layout. One byte prefix per record kind keeps each kind in its
// own sorted range, so the state digest and index scans are prefix iterations.
const (
	pfxMeta     = 'm' // m<name> -> metadata (genesis hash, tip hash, version)
	pfxBlock    = 'b' // b<hash> -> encoded block
	pfxIndex    = 'i' // i<hash> -> header || height u64 || status u8
	pfxUndo     = 'u' // u<hash> -> undo record
	pfxAccount  = 'a' // a<addr> -> balance u64 || nonce u64
	pfxTx       = 't' // t<txid> -> block hash || tx position u32
	pfxAddrTx   = 'x' // x<addr><height u64><pos u32> -> txid
	pfxHeight   = 'n' // n<height u64> -> block hash on the main chain
	metaGenesis = "genesis"
	metaTip     = "tip"
	metaVersion = "version"
	dbVersion   = 1
)

func metaKey(name string) []byte { return append([]byte{pfxMeta}, name...) }

// The append forms build a key or value at the end of dst, so the connect
// plan can put a block's thousands of records in one buffer; the plain
// forms allocate their own.

func hashKey(pfx byte, h consensus.Hash) []byte {
	return appendHashKey(make([]byte, 0, 1+consensus.HashSize), pfx, h)
}

func appendHashKey(dst []byte, pfx byte, h consensus.Hash) []byte {
	return append(append(dst, pfx), h[:]...)
}

func accountKey(a consensus.Address) []byte {
	return appendAccountKey(make([]byte, 0, 1+consensus.AddressSize), a)
}

func appendAccountKey(dst []byte, a consensus.Address) []byte {
	return append(append(dst, pfxAccount), a[:]...)
}

func heightKey(h uint64) []byte {
	k := make([]byte, 9)
	k[0] = pfxHeight
	binary.BigEndian.PutUint64(k[1:], h)
	return k
}

func addrTxKey(a consensus.Address, height uint64, pos uint32) []byte {
	return appendAddrTxKey(make([]byte, 0, 1+consensus.AddressSize+8+4), a, height, pos)
}

func appendAddrTxKey(dst []byte, a consensus.Address, height uint64, pos uint32) []byte {
	dst = append(append(dst, pfxAddrTx), a[:]...)
	dst = binary.BigEndian.AppendUint64(dst, height)
	return binary.BigEndian.AppendUint32(dst, pos)
}

func encodeAccount(a consensus.Account) []byte { return appendAccount(make([]byte, 0, 16), a) }

func appendAccount(dst []byte, a consensus.Account) []byte {
	dst = binary.BigEndian.AppendUint64(dst, a.Balance)
	return binary.BigEndian.AppendUint64(dst, a.Nonce)
}

func decodeAccount(b []byte) (consensus.Account, error) {
	if len(b) != 16 {
		return consensus.Account{}, fmt.Errorf("%w: account record is %d bytes", ErrCorrupt, len(b))
	}
	return consensus.Account{Balance: binary.BigEndian.Uint64(b), Nonce: binary.BigEndian.Uint64(b[8:])}, nil
}

// Block status bits, persisted in the index entry.
const (
	statusValid           uint8 = 1 << 0 // connected successfully at least once
	statusInvalid         uint8 = 1 << 1 // failed validation (or invalidateblock)
	statusInvalidAncestor uint8 = 1 << 2 // descends from an invalid block
	// statusHeaderOnly: the header is stored (ProcessHeaders) but not the
	// body. Entries written before headers-first sync never have it set,
	// which is right: every one of them had its body.
	statusHeaderOnly uint8 = 1 << 3
)

const indexEntrySize = consensus.HeaderSize + 8 + 1

func encodeIndexEntry(n *node) []byte {
	b := make([]byte, 0, indexEntrySize)
	h := n.header()
	b = append(b, h.Encode()...)
	b = binary.BigEndian.AppendUint64(b, n.height)
	return append(b, n.status)
}

func decodeIndexEntry(b []byte, h *consensus.Header) (height uint64, status uint8, err error) {
	if len(b) != indexEntrySize {
		return 0, 0, fmt.Errorf("%w: index entry is %d bytes", ErrCorrupt, len(b))
	}
	if err := consensus.DecodeHeaderInto(b[:consensus.HeaderSize], h); err != nil {
		return 0, 0, fmt.Errorf("%w: index entry: %v", ErrCorrupt, err)
	}
	return binary.BigEndian.Uint64(b[consensus.HeaderSize:]), b[indexEntrySize-1], nil
}

// undoEntry is an account's value before a block touched it. Disconnecting
// restores these exactly; a zero account means "did not exist".
type undoEntry struct {
	addr consensus.Address
	prev consensus.Account
}

func encodeUndo(es []undoEntry) []byte {
	b := make([]byte, 0, 4+len(es)*(consensus.AddressSize+16))
	b = binary.BigEndian.AppendUint32(b, uint32(len(es)))
	for _, e := range es {
		b = append(b, e.addr[:]...)
		b = append(b, encodeAccount(e.prev)...)
	}
	return b
}

func decodeUndo(b []byte) ([]undoEntry, error) {
	const rec = consensus.AddressSize + 16
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: undo record truncated", ErrCorrupt)
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(len(b)-4) != uint64(n)*rec {
		return nil, fmt.Errorf("%w: undo record length mismatch", ErrCorrupt)
	}
	es := make([]undoEntry, n)
	for i := range es {
		off := 4 + i*rec
		copy(es[i].addr[:], b[off:off+consensus.AddressSize])
		es[i].prev, _ = decodeAccount(b[off+consensus.AddressSize : off+rec])
	}
	return es, nil
}

// TxLocation says where a confirmed transaction lives.
type TxLocation struct {
	BlockHash consensus.Hash
	Index     uint32
}

func appendTxLoc(dst []byte, l TxLocation) []byte {
	return binary.BigEndian.AppendUint32(append(dst, l.BlockHash[:]...), l.Index)
}

func decodeTxLoc(b []byte) (TxLocation, error) {
	var l TxLocation
	if len(b) != consensus.HashSize+4 {
		return l, fmt.Errorf("%w: tx index entry is %d bytes", ErrCorrupt, len(b))
	}
	copy(l.BlockHash[:], b)
	l.Index = binary.BigEndian.Uint32(b[consensus.HashSize:])
	return l, nil
}
