package p2p

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/wire"
)

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
	// Only the main network listens publicly by default (nothing is
	// started here: this only checks the addresses chosen).
	main, err := consensus.ParamsByName("main")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"/ip4/0.0.0.0/tcp/9633": true, "/ip4/0.0.0.0/udp/9633/quic-v1": true,
		"/ip6/::/tcp/9633": true, "/ip6/::/udp/9633/quic-v1": true}
	if got := DefaultListen(main); len(got) != len(want) || !want[got[0]] || !want[got[1]] || !want[got[2]] || !want[got[3]] {
		t.Fatalf("main default listen %v", got)
	}
	test, _ := consensus.ParamsByName("test")
	if got := DefaultListen(test); len(got) != 4 || got[0] != "/ip4/0.0.0.0/tcp/19633" {
		t.Fatalf("test default listen %v", got)
	}
	for _, name := range []string{"regtest"} {
		p, err := consensus.ParamsByName(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range DefaultListen(p) {
			if !strings.HasPrefix(l, "/ip4/127.0.0.1/") {
				t.Fatalf("%s default listen %s is not loopback", name, l)
			}
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
	if wire.TxTopic(a) == wire.TxTopic(b) || wire.BlockTopic(a) == wire.BlockTopic(b) || wire.DHTPrefix(a) == wire.DHTPrefix(b) {
		t.Fatal("networks share gossip topics or DHT")
	}
	if !strings.HasPrefix(wire.TxTopic(a), "/cairn/") || !strings.HasSuffix(wire.BlockTopic(a), "/block/1") {
		t.Fatalf("topic names %s %s", wire.TxTopic(a), wire.BlockTopic(a))
	}
}

// nilChain and nilPool satisfy the interfaces for config checks only.
type nilChain struct{ ChainAPI }
type nilPool struct{ MempoolAPI }
