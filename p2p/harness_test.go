package p2p

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/holiman/uint256"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// hostile is the hostile-peer harness: a real libp2p host that speaks
// Cairn's protocols (status, headers, blocks, txs, both gossip topics) from
// its own loopback address and misbehaves on command. By default it answers
// like an honest node holding the chain given to serve; tests override the
// status it claims and the headers it answers with.
type hostile struct {
	t      *testing.T
	ip     string
	params *consensus.Params
	host   host.Host
	ps     *pubsub.PubSub
	topics map[string]*pubsub.Topic

	mu      sync.Mutex
	status  *wire.Status
	chain   []consensus.Header // its "main chain", genesis first
	blocks  map[consensus.Hash]*consensus.Block
	headers func(req *wire.HeadersReq) []consensus.Header // override

	headerReqs atomic.Int64 // getheaders requests answered
	blockReqs  atomic.Int64 // blocks requested from it
	invs       atomic.Int64 // tx inventories received
	invBytes   atomic.Int64 // bytes of inventories and txs received for them
	invTxs     atomic.Int64 // txs received for inventories
}

// nextLoopback hands each hostile host its own 127.0.0.x address, so bans
// by address hit it and not the honest nodes on 127.0.0.1 (Linux routes
// all of 127.0.0.0/8 to lo).
var nextLoopback atomic.Int32

func freshLoopback() string { return fmt.Sprintf("127.0.0.%d", 2+nextLoopback.Add(1)%250) }

// newHostile starts a hostile host on ip ("" for a fresh loopback address)
// claiming st (nil: an honest status at genesis).
func newHostile(t *testing.T, p *consensus.Params, ip string, st *wire.Status) *hostile {
	t.Helper()
	if ip == "" {
		ip = freshLoopback()
	}
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/"+ip+"/tcp/0"), libp2p.DisableRelay(),
		libp2p.ForceReachabilityPrivate(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); h.Close() })
	hp := &hostile{t: t, ip: ip, params: p, host: h, topics: map[string]*pubsub.Topic{},
		chain: []consensus.Header{p.Genesis.Header}, blocks: map[consensus.Hash]*consensus.Block{p.GenesisHash: p.Genesis}}
	if st == nil {
		st = &wire.Status{Version: wire.ProtocolVersion, Network: p.Name, Genesis: p.GenesisHash, Best: p.GenesisHash,
			Work: consensus.WorkForBits(p.Genesis.Header.Bits)}
	}
	hp.status = st
	h.SetStreamHandler(protocol.ID(wire.StatusProtocol), hp.handleStatus)
	h.SetStreamHandler(protocol.ID(wire.HeadersProtocol), hp.handleHeaders)
	h.SetStreamHandler(protocol.ID(wire.BlocksProtocol), hp.handleBlocks)
	h.SetStreamHandler(protocol.ID(wire.TxInvProtocol), hp.handleTxInv)
	ps, err := pubsub.NewGossipSub(ctx, h, pubsub.WithNoAuthor(), pubsub.WithMessageIdFn(messageID))
	if err != nil {
		t.Fatal(err)
	}
	hp.ps = ps
	for _, name := range []string{wire.TxTopic(p), wire.BlockTopic(p)} {
		tp, err := ps.Join(name)
		if err != nil {
			t.Fatal(err)
		}
		hp.topics[name] = tp
	}
	return hp
}

// serve makes blocks (a chain from genesis, in order) the hostile's main
// chain, and claims its tip honestly.
func (hp *hostile) serve(blocks []*consensus.Block) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	work := consensus.WorkForBits(hp.params.Genesis.Header.Bits)
	hp.chain = hp.chain[:1]
	for _, b := range blocks {
		hp.chain = append(hp.chain, b.Header)
		hp.blocks[b.Hash()] = b
		work.Add(work, consensus.WorkForBits(b.Header.Bits))
	}
	tip := hp.chain[len(hp.chain)-1]
	hp.status = &wire.Status{Version: wire.ProtocolVersion, Network: hp.params.Name, Genesis: hp.params.GenesisHash,
		Height: uint64(len(hp.chain) - 1), Best: tip.Hash(), Work: work}
}

// claim overrides the work (and height) the hostile's status claims.
func (hp *hostile) claim(work *uint256.Int, height uint64) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	st := *hp.status
	st.Work, st.Height = work, height
	hp.status = &st
}

// answerHeaders overrides the getheaders answer.
func (hp *hostile) answerHeaders(f func(req *wire.HeadersReq) []consensus.Header) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	hp.headers = f
}

func (hp *hostile) handleStatus(s network.Stream) {
	defer s.Close()
	if _, err := wire.ReadFrame(s, wire.MaxStatusSize, 5*time.Second); err != nil {
		return
	}
	hp.mu.Lock()
	st := hp.status
	hp.mu.Unlock()
	_ = wire.WriteFrame(s, st.Encode(), 5*time.Second)
}

func (hp *hostile) handleHeaders(s network.Stream) {
	defer s.Close()
	b, err := wire.ReadFrame(s, wire.MaxHeadersReqSize, 5*time.Second)
	if err != nil {
		return
	}
	req, err := wire.DecodeHeadersReq(b)
	if err != nil {
		return
	}
	hp.headerReqs.Add(1)
	hp.mu.Lock()
	f := hp.headers
	hp.mu.Unlock()
	var hs []consensus.Header
	if f != nil {
		hs = f(req)
	} else {
		hs = hp.after(req)
	}
	_ = wire.WriteFrame(s, wire.EncodeHeaders(hs), 5*time.Second)
}

// after answers a locator like an honest node: the headers of its chain
// following the first locator hash it has.
func (hp *hostile) after(req *wire.HeadersReq) []consensus.Header {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	start := 0
	pos := make(map[consensus.Hash]int, len(hp.chain))
	for i := range hp.chain {
		pos[hp.chain[i].Hash()] = i
	}
	for _, h := range req.Locator {
		if i, ok := pos[h]; ok {
			start = i
			break
		}
	}
	end := min(len(hp.chain), start+1+int(req.Max))
	return append([]consensus.Header(nil), hp.chain[start+1:end]...)
}

func (hp *hostile) handleBlocks(s network.Stream) {
	defer s.Close()
	b, err := wire.ReadFrame(s, wire.MaxBlocksReqSize, 5*time.Second)
	if err != nil {
		return
	}
	hashes, err := wire.DecodeHashes(b, wire.MaxBlocksPerRequest)
	if err != nil {
		return
	}
	hp.blockReqs.Add(int64(len(hashes)))
	for _, h := range hashes {
		hp.mu.Lock()
		blk := hp.blocks[h]
		hp.mu.Unlock()
		var raw []byte
		if blk != nil {
			raw = blk.Encode()
		}
		if err := wire.WriteFrame(s, raw, 5*time.Second); err != nil {
			return
		}
	}
}

// handleTxInv asks for every tx offered (as a peer draining our upload
// would) and counts what arrives.
func (hp *hostile) handleTxInv(s network.Stream) {
	defer s.Close()
	b, err := wire.ReadFrame(s, wire.MaxIDsSize, 5*time.Second)
	if err != nil {
		return
	}
	ids, err := wire.DecodeIDs(b, wire.MaxInvIDs)
	if err != nil {
		return
	}
	hp.invs.Add(1)
	hp.invBytes.Add(int64(len(b)))
	if err := wire.WriteFrame(s, wire.EncodeIDs(ids), 5*time.Second); err != nil {
		return
	}
	for range ids {
		raw, err := wire.ReadFrame(s, consensus.MaxTxSize, 5*time.Second)
		if err != nil {
			return
		}
		hp.invBytes.Add(int64(len(raw)))
		if len(raw) > 0 {
			hp.invTxs.Add(1)
		}
	}
}

// addr is the hostile's full multiaddr.
func (hp *hostile) addr() string {
	return hp.host.Addrs()[0].String() + "/p2p/" + hp.host.ID().String()
}

func (hp *hostile) connect(t *testing.T, to *tnode) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hp.host.Connect(ctx, peer.AddrInfo{ID: to.node.host.ID(), Addrs: to.node.host.Addrs()})
}

// publishTo waits until the victim is a known subscriber, then publishes.
func (hp *hostile) publishTo(t *testing.T, victim *tnode, topic string, data []byte) {
	t.Helper()
	tp := hp.topics[topic]
	waitFor(t, 10*time.Second, "victim subscribed", func() bool {
		for _, p := range tp.ListPeers() {
			if p == victim.node.host.ID() {
				return true
			}
		}
		return false
	})
	if err := tp.Publish(context.Background(), data); err != nil {
		t.Fatal(err)
	}
}

// rawPeer is the harness with an honest status at genesis (or st).
type rawPeer = hostile

func newRawPeer(t *testing.T, p *consensus.Params, st *wire.Status) *rawPeer {
	return newHostile(t, p, "", st)
}
