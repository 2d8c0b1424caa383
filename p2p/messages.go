package p2p

import (
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// statusMsg is what peers exchange in the handshake and on every refresh.
type statusMsg struct {
	Version uint32
	Network string
	Genesis consensus.Hash
	Height  uint64
	Best    consensus.Hash
	Work    *uint256.Int
}

const maxStatusSize = 4 + 1 + maxNetworkName + 32 + 8 + 32 + 32

func (m *statusMsg) encode() []byte {
	e := newEnc(maxStatusSize)
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

func decodeStatus(b []byte) (*statusMsg, error) {
	d := &dec{b: b}
	m := &statusMsg{}
	m.Version = d.u32()
	m.Network = d.str8(maxNetworkName)
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

// headersReq asks for up to Max main-chain headers after the first locator
// hash the server has on its main chain.
type headersReq struct {
	Locator []consensus.Hash
	Max     uint32
}

const maxHeadersReqSize = 4 + 2 + maxLocatorHashes*32

func (m *headersReq) encode() []byte {
	e := newEnc(6 + 32*len(m.Locator))
	e.u32(m.Max)
	e.u16(uint16(len(m.Locator)))
	for _, h := range m.Locator {
		e.hash(h)
	}
	return e.bytes()
}

func decodeHeadersReq(b []byte) (*headersReq, error) {
	d := &dec{b: b}
	m := &headersReq{Max: d.u32()}
	n := int(d.u16())
	if d.err == nil && n > maxLocatorHashes {
		return nil, protoErrf("locator of %d hashes exceeds %d", n, maxLocatorHashes)
	}
	for i := 0; i < n && d.err == nil; i++ {
		m.Locator = append(m.Locator, d.hash())
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return m, nil
}

const maxHeadersRespSize = 4 + MaxHeadersPerRequest*consensus.HeaderSize

func encodeHeaders(hs []consensus.Header) []byte {
	e := newEnc(4 + len(hs)*consensus.HeaderSize)
	e.u32(uint32(len(hs)))
	for i := range hs {
		e.raw(hs[i].Encode())
	}
	return e.bytes()
}

func decodeHeaders(b []byte, max int) ([]consensus.Header, error) {
	d := &dec{b: b}
	n := int(d.u32())
	if d.err == nil && n > max {
		return nil, protoErrf("%d headers, asked for at most %d", n, max)
	}
	out := make([]consensus.Header, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		raw := d.take(consensus.HeaderSize)
		if raw == nil {
			break
		}
		h, err := consensus.DecodeHeader(raw)
		if err != nil {
			return nil, protoErrf("header %d: %v", i, err)
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
const maxBlocksReqSize = 2 + MaxBlocksPerRequest*32

func encodeHashes(hs []consensus.Hash) []byte {
	e := newEnc(2 + 32*len(hs))
	e.u16(uint16(len(hs)))
	for _, h := range hs {
		e.hash(h)
	}
	return e.bytes()
}

func decodeHashes(b []byte, max int) ([]consensus.Hash, error) {
	d := &dec{b: b}
	n := int(d.u16())
	if d.err == nil && (n == 0 || n > max) {
		return nil, protoErrf("request for %d items, allowed 1..%d", n, max)
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
func encodeU32(v uint32) []byte { e := newEnc(4); e.u32(v); return e.bytes() }

func decodeU32(b []byte) (uint32, error) {
	d := &dec{b: b}
	v := d.u32()
	return v, d.done()
}
