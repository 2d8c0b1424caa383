package wire

import (
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// Status is what peers exchange in the handshake and on every refresh.
type Status struct {
	Version uint32
	Network string
	Genesis consensus.Hash
	Height  uint64
	Best    consensus.Hash
	Work    *uint256.Int
}

const MaxStatusSize = 4 + 1 + MaxNetworkName + 32 + 8 + 32 + 32

func (m *Status) Encode() []byte {
	e := newEnc(MaxStatusSize)
	e.u32(m.Version)
	e.str8(m.Network)
	e.hash(m.Genesis)
	e.u64(m.Height)
	e.hash(m.Best)
	w := m.Work
	if w == nil {
		w = new(uint256.Int)
	}
	e.hash(w.Bytes32())
	return e.bytes()
}

func DecodeStatus(b []byte) (*Status, error) {
	d := &dec{b: b}
	m := &Status{}
	m.Version = d.u32()
	m.Network = d.str8(MaxNetworkName)
	m.Genesis = d.hash()
	m.Height = d.u64()
	m.Best = d.hash()
	w := d.hash()
	m.Work = new(uint256.Int).SetBytes32(w[:])
	if err := d.done(); err != nil {
		return nil, err
	}
	return m, nil
}

// HeadersReq asks for up to Max main-chain headers after the first locator
// hash the server has on its main chain.
type HeadersReq struct {
	Locator []consensus.Hash
	Max     uint32
}

const MaxHeadersReqSize = 4 + 2 + MaxLocatorHashes*32

func (m *HeadersReq) Encode() []byte {
	e := newEnc(6 + 32*len(m.Locator))
	e.u32(m.Max)
	e.u16(uint16(len(m.Locator)))
	for _, h := range m.Locator {
		e.hash(h)
	}
	return e.bytes()
}

func DecodeHeadersReq(b []byte) (*HeadersReq, error) {
	d := &dec{b: b}
	m := &HeadersReq{Max: d.u32()}
	n := int(d.u16())
	if d.err == nil && n > MaxLocatorHashes {
		return nil, Errorf("locator of %d hashes exceeds %d", n, MaxLocatorHashes)
	}
	for i := 0; i < n && d.err == nil; i++ {
		m.Locator = append(m.Locator, d.hash())
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return m, nil
}

const MaxHeadersRespSize = 4 + MaxHeadersPerRequest*consensus.HeaderSize

func EncodeHeaders(hs []consensus.Header) []byte {
	e := newEnc(4 + len(hs)*consensus.HeaderSize)
	e.u32(uint32(len(hs)))
	for i := range hs {
		e.raw(hs[i].Encode())
	}
	return e.bytes()
}

func DecodeHeaders(b []byte, max int) ([]consensus.Header, error) {
	d := &dec{b: b}
	n := int(d.u32())
	if d.err == nil && n > max {
		return nil, Errorf("%d headers, asked for at most %d", n, max)
	}
	out := make([]consensus.Header, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		raw := d.take(consensus.HeaderSize)
		if raw == nil {
			break
		}
		h, err := consensus.DecodeHeader(raw)
		if err != nil {
			return nil, Errorf("header %d: %v", i, err)
		}
		out = append(out, *h)
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}

// blocksReq lists the hashes wanted; the response is one frame per hash in
// order, holding the raw block or nothing if the server lacks it.
const MaxBlocksReqSize = 2 + MaxBlocksPerRequest*32

func EncodeHashes(hs []consensus.Hash) []byte {
	e := newEnc(2 + 32*len(hs))
	e.u16(uint16(len(hs)))
	for _, h := range hs {
		e.hash(h)
	}
	return e.bytes()
}

func DecodeHashes(b []byte, max int) ([]consensus.Hash, error) {
	d := &dec{b: b}
	n := int(d.u16())
	if d.err == nil && (n == 0 || n > max) {
		return nil, Errorf("request for %d items, allowed 1..%d", n, max)
	}
	out := make([]consensus.Hash, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.hash())
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}

// u32Msg is a single count, e.g. the number of txs a push carries.
func EncodeU32(v uint32) []byte { e := newEnc(4); e.u32(v); return e.bytes() }

func DecodeU32(b []byte) (uint32, error) {
	d := &dec{b: b}
	v := d.u32()
	return v, d.done()
}

// EncodeIDs encodes a possibly empty list of tx ids (an inventory or the
// subset of it that is wanted).
func EncodeIDs(ids []consensus.Hash) []byte {
	e := newEnc(2 + 32*len(ids))
	e.u16(uint16(len(ids)))
	for _, h := range ids {
		e.hash(h)
	}
	return e.bytes()
}

// MaxIDsSize is the largest encoded id list.
const MaxIDsSize = 2 + MaxInvIDs*32

// DecodeIDs decodes 0..max ids.
func DecodeIDs(b []byte, max int) ([]consensus.Hash, error) {
	d := &dec{b: b}
	n := int(d.u16())
	if d.err == nil && n > max {
		return nil, Errorf("list of %d ids exceeds %d", n, max)
	}
	out := make([]consensus.Hash, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.hash())
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}
