package wire

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

func TestFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _ = WriteFrame(a, []byte("hello"), time.Second) }()
	got, err := ReadFrame(b, 5, time.Second)
	if err != nil || string(got) != "hello" {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	go func() { _ = WriteFrame(a, []byte("too long"), time.Second) }()
	var pe ProtocolError
	if _, err := ReadFrame(b, 5, time.Second); !errors.As(err, &pe) {
		t.Fatalf("oversized frame: %v, want ProtocolError", err)
	}
	c, d := net.Pipe()
	defer c.Close()
	defer d.Close()
	if _, err := ReadFrame(d, 5, 20*time.Millisecond); !IsTimeout(err) {
		t.Fatalf("silent peer: %v, want timeout", err)
	}
}

func TestMessagesRoundTripAndStrictness(t *testing.T) {
	st := &Status{Version: 1, Network: "regtest", Height: 42, Work: uint256.NewInt(12345)}
	st.Genesis[0], st.Best[1] = 1, 2
	got, err := DecodeStatus(st.Encode())
	if err != nil || got.Height != 42 || got.Work.Uint64() != 12345 || got.Genesis != st.Genesis || got.Best != st.Best || got.Network != "regtest" {
		t.Fatalf("status round trip: %+v, %v", got, err)
	}
	if _, err := DecodeStatus(append(st.Encode(), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	req := &HeadersReq{Locator: []consensus.Hash{{1}, {2}}, Max: 7}
	gotReq, err := DecodeHeadersReq(req.Encode())
	if err != nil || gotReq.Max != 7 || len(gotReq.Locator) != 2 || gotReq.Locator[1] != req.Locator[1] {
		t.Fatalf("headers request round trip: %+v, %v", gotReq, err)
	}
	p := consensus.RegtestParams()
	hs := []consensus.Header{p.Genesis.Header, p.Genesis.Header}
	gotHs, err := DecodeHeaders(EncodeHeaders(hs), 2)
	if err != nil || len(gotHs) != 2 || gotHs[1].Hash() != p.GenesisHash {
		t.Fatalf("headers round trip: %v", err)
	}
	if _, err := DecodeHeaders(EncodeHeaders(hs), 1); err == nil {
		t.Fatal("more headers than asked accepted")
	}
	ids := []consensus.Hash{{9}}
	if got, err := DecodeHashes(EncodeHashes(ids), 16); err != nil || got[0] != ids[0] {
		t.Fatalf("hashes round trip: %v", err)
	}
}

// FuzzDecoders: no input may panic a decoder.
func FuzzDecoders(f *testing.F) {
	st := &Status{Version: 1, Network: "x", Work: uint256.NewInt(1)}
	f.Add(st.Encode())
	f.Add((&HeadersReq{Locator: []consensus.Hash{{1}}, Max: 1}).Encode())
	f.Add(EncodeHashes([]consensus.Hash{{1}, {2}}))
	f.Add(EncodeHeaders([]consensus.Header{consensus.RegtestParams().Genesis.Header}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeStatus(b)
		_, _ = DecodeHeadersReq(b)
		_, _ = DecodeHeaders(b, MaxHeadersPerRequest)
		_, _ = DecodeHashes(b, MaxBlocksPerRequest)
		_, _ = DecodeU32(b)
		_, _ = DecodeIDs(b, MaxInvIDs)
		r := bytes.NewReader(b)
		_, _ = ReadFrame(deadlineBuf{r}, 1<<10, time.Second)
	})
}

type deadlineBuf struct{ *bytes.Reader }

func (deadlineBuf) SetReadDeadline(time.Time) error { return nil }

func TestIDsRoundTripAndLimits(t *testing.T) {
	ids := []consensus.Hash{{1}, {2}, {3}}
	got, err := DecodeIDs(EncodeIDs(ids), 3)
	if err != nil || len(got) != 3 || got[2] != ids[2] {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	if got, err := DecodeIDs(EncodeIDs(nil), 3); err != nil || len(got) != 0 {
		t.Fatalf("empty list: %v, %v", got, err)
	}
	var pe ProtocolError
	if _, err := DecodeIDs(EncodeIDs(ids), 2); !errors.As(err, &pe) {
		t.Fatalf("over-long list: %v, want ProtocolError", err)
	}
	if _, err := DecodeIDs(append(EncodeIDs(ids), 0), 3); !errors.As(err, &pe) {
		t.Fatalf("trailing byte: %v, want ProtocolError", err)
	}
}
