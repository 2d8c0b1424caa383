package p2p

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// A node syncing from one honest peer, one that stalls every request and
// one that answers block requests with the wrong block still syncs fully.
// The staller's batches time out and are retried on other peers and it is
// penalised; the liar is banned on its first bad answer.
func TestSyncAroundStallingAndLyingPeers(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pstall", Keys: 4})
	blocks := chainOf(gen, "s", 200, 0)
	honest := newNode(t, gen.Params, "honest", "")
	honest.feed(t, blocks)
	tip := honest.chain.Tip()
	claim := &wire.Status{Version: wire.ProtocolVersion, Network: gen.Params.Name, Genesis: gen.Params.GenesisHash,
		Height: tip.Height, Best: tip.Hash, Work: tip.ChainWork}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hang := func(s network.Stream) {
		_, _ = wire.ReadFrame(s, 1<<20, 5*time.Second)
		select { // hold the request until the requester gives up
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
		_ = s.Reset()
	}
	staller := newRawPeer(t, gen.Params, claim)
	staller.host.SetStreamHandler(protocol.ID(wire.HeadersProtocol), hang)
	staller.host.SetStreamHandler(protocol.ID(wire.BlocksProtocol), hang)

	// The liar serves honest headers but the genesis block for any hash.
	liar := newRawPeer(t, gen.Params, claim)
	liar.host.SetStreamHandler(protocol.ID(wire.HeadersProtocol), func(s network.Stream) {
		defer s.Close()
		b, err := wire.ReadFrame(s, wire.MaxHeadersReqSize, 5*time.Second)
		if err != nil {
			return
		}
		req, err := wire.DecodeHeadersReq(b)
		if err != nil {
			return
		}
		_ = wire.WriteFrame(s, wire.EncodeHeaders(honest.chain.HeadersAfter(req.Locator, int(req.Max))), 5*time.Second)
	})
	liar.host.SetStreamHandler(protocol.ID(wire.BlocksProtocol), func(s network.Stream) {
		defer s.Close()
		b, err := wire.ReadFrame(s, wire.MaxBlocksReqSize, 5*time.Second)
		if err != nil {
			return
		}
		hs, err := wire.DecodeHashes(b, wire.MaxBlocksPerRequest)
		if err != nil {
			return
		}
		for range hs {
			_ = wire.WriteFrame(s, gen.Params.Genesis.Encode(), 5*time.Second)
		}
	})

	c := newNode(t, gen.Params, "c", "", func(cfg *Config) { cfg.PeerTimeout = time.Second })
	addrOf := func(r *rawPeer) string { return r.host.Addrs()[0].String() + "/p2p/" + r.host.ID().String() }
	for _, addr := range []string{addrOf(staller), addrOf(liar), honest.node.Addrs()[0]} {
		if err := c.node.AddNode(ctx, addr); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 60*time.Second, "c synced despite bad peers", func() bool { return sameTip(honest, c) })
	s := c.node.Stats()
	t.Logf("stalls %d, retries %d, fetched %v, bans %d", s.Stalls, s.SyncRetries, s.BlocksFetched, s.Bans)
	if s.Stalls == 0 || s.SyncRetries == 0 {
		t.Fatalf("expected timed-out and retried requests, got %d stalls, %d retries", s.Stalls, s.SyncRetries)
	}
	if c.node.pen.Get(staller.host.ID()) <= 0 {
		t.Fatal("staller not penalised")
	}
	if !banned(c, liar.host.ID()) && s.BlocksFetched[liar.host.ID().String()] == 0 {
		// The liar may never have been asked; it must not have served.
		t.Log("liar was never asked for blocks")
	} else if !banned(c, liar.host.ID()) {
		t.Fatal("liar served wrong blocks but is not banned")
	}
	if s.BlocksFetched[liar.host.ID().String()] != 0 || s.BlocksFetched[staller.host.ID().String()] != 0 {
		t.Fatalf("bad peers credited with blocks: %v", s.BlocksFetched)
	}
	if digest(t, c) != gen.Digest("s200") {
		t.Fatal("synced state differs from the generator's")
	}
}
