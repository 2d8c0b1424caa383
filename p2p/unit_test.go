package p2p

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _ = writeFrame(a, []byte("hello"), time.Second) }()
	got, err := readFrame(b, 5, time.Second)
	if err != nil || string(got) != "hello" {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	go func() { _ = writeFrame(a, []byte("too long"), time.Second) }()
	var pe protoError
	if _, err := readFrame(b, 5, time.Second); !errors.As(err, &pe) {
		t.Fatalf("oversized frame: %v, want protoError", err)
	}
	c, d := net.Pipe()
	defer c.Close()
	defer d.Close()
	if _, err := readFrame(d, 5, 20*time.Millisecond); !isTimeout(err) {
		t.Fatalf("silent peer: %v, want timeout", err)
	}
}

func TestMessagesRoundTripAndStrictness(t *testing.T) {
	st := &statusMsg{Version: 1, Network: "regtest", Height: 42, Work: uint256.NewInt(12345)}
	st.Genesis[0], st.Best[1] = 1, 2
	got, err := decodeStatus(st.encode())
	if err != nil || got.Height != 42 || got.Work.Uint64() != 12345 || got.Genesis != st.Genesis || got.Best != st.Best || got.Network != "regtest" {
		t.Fatalf("status round trip: %+v, %v", got, err)
	}
	if _, err := decodeStatus(append(st.encode(), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	req := &headersReq{Locator: []consensus.Hash{{1}, {2}}, Max: 7}
	gotReq, err := decodeHeadersReq(req.encode())
	if err != nil || gotReq.Max != 7 || len(gotReq.Locator) != 2 || gotReq.Locator[1] != req.Locator[1] {
		t.Fatalf("headers request round trip: %+v, %v", gotReq, err)
	}
	p := consensus.RegtestParams()
	hs := []consensus.Header{p.Genesis.Header, p.Genesis.Header}
	gotHs, err := decodeHeaders(encodeHeaders(hs), 2)
	if err != nil || len(gotHs) != 2 || gotHs[1].Hash() != p.GenesisHash {
		t.Fatalf("headers round trip: %v", err)
	}
	if _, err := decodeHeaders(encodeHeaders(hs), 1); err == nil {
		t.Fatal("more headers than asked accepted")
	}
	ids := []consensus.Hash{{9}}
	if got, err := decodeHashes(encodeHashes(ids), 16); err != nil || got[0] != ids[0] {
		t.Fatalf("hashes round trip: %v", err)
	}
}

// FuzzDecoders: no input may panic a decoder.
func FuzzDecoders(f *testing.F) {
	st := &statusMsg{Version: 1, Network: "x", Work: uint256.NewInt(1)}
	f.Add(st.encode())
	f.Add((&headersReq{Locator: []consensus.Hash{{1}}, Max: 1}).encode())
	f.Add(encodeHashes([]consensus.Hash{{1}, {2}}))
	f.Add(encodeHeaders([]consensus.Header{consensus.RegtestParams().Genesis.Header}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeStatus(b)
		_, _ = decodeHeadersReq(b)
		_, _ = decodeHeaders(b, MaxHeadersPerRequest)
		_, _ = decodeHashes(b, MaxBlocksPerRequest)
		_, _ = decodeU32(b)
		r := bytes.NewReader(b)
		_, _ = readFrame(deadlineBuf{r}, 1<<10, time.Second)
	})
}

type deadlineBuf struct{ *bytes.Reader }

func (deadlineBuf) SetReadDeadline(time.Time) error { return nil }

func TestPenaltiesDecay(t *testing.T) {
	ps := newPenalties()
	now := time.Unix(1000, 0)
	ps.now = func() time.Time { return now }
	id := peer.ID("x")
	if v := ps.add(id, 100); v != 100 {
		t.Fatalf("got %v", v)
	}
	now = now.Add(penaltyHalfLife)
	if v := ps.get(id); v < 49.9 || v > 50.1 {
		t.Fatalf("after one half-life %v, want 50", v)
	}
}

func TestGaterRefusalExpires(t *testing.T) {
	g := newGater()
	now := time.Unix(1000, 0)
	g.now = func() time.Time { return now }
	p := peer.ID("p")
	g.refuse(p, now.Add(time.Minute), "test")
	if g.InterceptPeerDial(p) || g.allowed(p) {
		t.Fatal("refused peer allowed")
	}
	g.open.Store(true)
	if g.InterceptSecured(0, p, nil) {
		t.Fatal("refused peer accepted")
	}
	now = now.Add(2 * time.Minute)
	if !g.allowed(p) || g.count() != 0 {
		t.Fatal("refusal did not expire")
	}
	for i := 0; i < maxRefused+10; i++ {
		g.refuse(peer.ID(rune(i)), now.Add(time.Hour+time.Duration(i)), "flood")
	}
	if g.count() > maxRefused {
		t.Fatalf("refusal list grew to %d", g.count())
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	prev := time.Duration(0)
	for f := 1; f <= 6; f++ {
		b := backoff(f)
		if b < time.Duration(float64(dialMinBackoff<<(f-1))*0.79) || b <= prev/2 {
			t.Fatalf("backoff(%d) = %v", f, b)
		}
		prev = b
	}
	if b := backoff(100); b > dialMaxBackoff*6/5 {
		t.Fatalf("backoff not capped: %v", b)
	}
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	p := consensus.RegtestParams()
	cfg := Config{Params: p, Chain: nilChain{}, Mempool: nilPool{}}
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	for _, l := range cfg.Listen {
		if !strings.HasPrefix(l, "/ip4/127.0.0.1/") {
			t.Fatalf("default listen %s is not loopback", l)
		}
	}
	if cfg.LowWater != 32 || cfg.HighWater != 64 || cfg.SyncWindow != 128 || cfg.PeerTimeout != 20*time.Second ||
		cfg.BanDuration != 10*time.Minute || cfg.ScoreThreshold != DefaultScoreThreshold || cfg.MDNS || len(cfg.Bootstrap) != 0 {
		t.Fatalf("defaults %+v", cfg)
	}
	bad := []Config{
		{Chain: nilChain{}, Mempool: nilPool{}},
		{Params: p, Mempool: nilPool{}},
		{Params: p, Chain: nilChain{}},
		{Params: p, Chain: nilChain{}, Mempool: nilPool{}, LowWater: 10, HighWater: 5},
		{Params: p, Chain: nilChain{}, Mempool: nilPool{}, ScoreThreshold: 5},
	}
	for i, c := range bad {
		var ce ConfigError
		if err := c.setDefaults(); !errors.As(err, &ce) {
			t.Fatalf("case %d: %v, want ConfigError", i, err)
		}
	}
}

func TestTopicsSeparateNetworks(t *testing.T) {
	a := consensus.RegtestParams()
	b := chaintest.MustNew(chaintest.Options{Name: "other", Keys: 1}).Params
	if TxTopic(a) == TxTopic(b) || BlockTopic(a) == BlockTopic(b) || DHTPrefix(a) == DHTPrefix(b) {
		t.Fatal("networks share gossip topics or DHT")
	}
	if !strings.HasPrefix(TxTopic(a), "/cairn/") || !strings.HasSuffix(BlockTopic(a), "/block/1") {
		t.Fatalf("topic names %s %s", TxTopic(a), BlockTopic(a))
	}
}

// nilChain and nilPool satisfy the interfaces for config checks only.
type nilChain struct{ ChainAPI }
type nilPool struct{ MempoolAPI }
