package p2p

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/holiman/uint256"
)

// forkOf builds n empty blocks on parent, the first one made distinct from
// any sibling the generator built by a later timestamp.
func forkOf(gen *chaintest.Gen, prefix, parent string, n int) []*chaintest.Block {
	out := make([]*chaintest.Block, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%d", prefix, i+1)
		var muts []chaintest.Mutator
		if i == 0 {
			muts = append(muts, chaintest.TimestampMTP(gen.Spacing+7))
		}
		out = append(out, gen.NextBlock(name, parent, muts...))
		parent = name
	}
	return out
}

func workOf(p *consensus.Params, blocks int) *uint256.Int {
	w := consensus.WorkForBits(p.Genesis.Header.Bits)
	return w.Mul(w, uint256.NewInt(uint64(blocks+1)))
}

// A fork from genesis with less work than the victim's chain (500 cheap
// blocks against 600), served by sync to a victim it lies to about its
// work and gossiped to it, leaves nothing on the victim (no header, no
// body) and nothing reaches a third node behind the victim. The liar is
// penalised and backed off; no body was ever requested from it.
func TestHostileLowWorkForkNotStored(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2plowfork", Keys: 2})
	main := chainOf(gen, "m", 600, 0)
	fork := forkOf(gen, "f", "genesis", 500)
	victim := newNode(t, gen.Params, "victim", "")
	victim.feed(t, main)
	third := newNode(t, gen.Params, "third", "")
	third.feed(t, main)
	connect(t, third, victim)
	waitMesh(t, []*tnode{third, victim})
	tip := victim.chain.Tip()

	evil := newHostile(t, gen.Params, "", nil)
	evil.serve(blocksOf(fork))
	evil.claim(workOf(gen.Params, 10_000), 10_000) // a lie, to win the sync pick
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.node.AddNode(ctx, evil.addr()); err != nil {
		t.Fatal(err)
	}
	for _, b := range append(fork[:20], fork[len(fork)-1]) {
		evil.publishTo(t, victim, wire.BlockTopic(gen.Params), b.Block.Encode())
	}
	waitFor(t, 30*time.Second, "victim pre-synced the fork and found it short", func() bool {
		return victim.node.backoff.Active(evil.host.ID())
	})
	waitFor(t, 15*time.Second, "gossiped fork blocks judged", func() bool {
		return victim.node.Stats().Gossip[KindBlock][VerdictIgnore] >= 21
	})
	time.Sleep(500 * time.Millisecond) // anything relayed would have reached third by now
	if evil.headerReqs.Load() == 0 {
		t.Fatal("the fork was never offered by sync")
	}
	for _, b := range fork {
		if victim.chain.HaveBlock(b.Hash) || victim.chain.HaveHeader(b.Hash) {
			t.Fatalf("victim stored fork block %s", b.Name)
		}
		if _, err := victim.chain.BlockInfo(b.Hash); err == nil {
			t.Fatalf("victim indexes fork block %s", b.Name)
		}
		if third.chain.HaveBlock(b.Hash) || third.chain.HaveHeader(b.Hash) {
			t.Fatalf("fork block %s reached the third node", b.Name)
		}
	}
	if got := victim.chain.Tip(); got.Hash != tip.Hash {
		t.Fatalf("victim tip moved to %s", got.Hash)
	}
	if n := evil.blockReqs.Load(); n != 0 {
		t.Fatalf("victim downloaded %d fork bodies", n)
	}
	s := victim.node.Stats()
	if s.Gossip[KindBlock][VerdictAccept] != 0 || s.Gossip[KindBlock][VerdictReject] != 0 || s.HeadersStored != 0 {
		t.Fatalf("victim verdicts %v, headers stored %d", s.Gossip[KindBlock], s.HeadersStored)
	}
	if ts := third.node.Stats(); ts.Validated[KindBlock] != 0 {
		t.Fatalf("third node validated %d blocks: the fork was relayed", ts.Validated[KindBlock])
	}
	if p := victim.node.pen.Get(evil.host.ID()); p < 40 {
		t.Fatalf("liar penalty %.1f, want about 50", p)
	}
}

// headerChain builds n valid headers (no bodies) on parent: what a spammer
// can produce cheaply at the easiest difficulty.
func headerChain(p *consensus.Params, parent consensus.Header, n int) []consensus.Header {
	out := make([]consensus.Header, 0, n)
	prev := parent
	for i := 0; i < n; i++ {
		h := consensus.Header{Version: consensus.BlockVersion, PrevHash: prev.Hash(), Timestamp: prev.Timestamp + 600,
			Bits: p.Genesis.Header.Bits, MerkleRoot: consensus.Hash{byte(i), byte(i >> 8), 0xee}}
		chaintest.Solve(&h, true)
		out = append(out, h)
		prev = h
	}
	return out
}

// A peer spamming a long header branch that never reaches the network's
// minimum chain work costs the victim bounded memory (the kept prefix, then
// only sampled commitments) and nothing on disk.
func TestHostileHeaderSpamBounded(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2phdrspam", Keys: 1})
	const keep, spam = 300, 5000
	params := *gen.Params
	params.MinChainWork = workOf(&params, 1_000_000) // far beyond the spam
	victim := newNode(t, &params, "victim", "", func(cfg *Config) {
		cfg.presyncKeep, cfg.presyncCommitEvery = keep, 100
	})
	hs := headerChain(&params, params.Genesis.Header, spam)
	evil := newHostile(t, &params, "", nil)
	evil.claim(workOf(&params, 2_000_000), 2_000_000)
	evil.answerHeaders(func(req *wire.HeadersReq) []consensus.Header {
		start := 0
		for _, h := range req.Locator {
			for i := range hs {
				if hs[i].Hash() == h {
					start = i + 1
				}
			}
			if start > 0 {
				break
			}
		}
		return hs[start:min(len(hs), start+int(req.Max))]
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.node.AddNode(ctx, evil.addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "spam branch walked to its end", func() bool {
		return victim.node.Stats().HeadersFetched >= spam && victim.node.backoff.Active(evil.host.ID())
	})
	s := victim.node.Stats()
	t.Logf("headers fetched %d, max held %d, overflows %d", s.HeadersFetched, s.PresyncMaxHeld, s.PresyncOverflows)
	if s.PresyncMaxHeld > keep || s.PresyncOverflows == 0 {
		t.Fatalf("pre-sync held up to %d headers (bound %d), overflowed %d times", s.PresyncMaxHeld, keep, s.PresyncOverflows)
	}
	if s.HeadersStored != 0 || evil.blockReqs.Load() != 0 {
		t.Fatalf("stored %d headers, requested %d bodies", s.HeadersStored, evil.blockReqs.Load())
	}
	for i := 0; i < spam; i += 97 {
		if victim.chain.HaveHeader(hs[i].Hash()) {
			t.Fatalf("spam header %d stored", i)
		}
	}
	if victim.chain.Tip().Height != 0 || victim.node.pen.Get(evil.host.ID()) < 40 {
		t.Fatalf("tip height %d, spammer penalty %.1f", victim.chain.Tip().Height, victim.node.pen.Get(evil.host.ID()))
	}
}

// A worthy branch longer than the kept prefix is re-downloaded from the
// fork point, checked against the commitments of the first pass and stored:
// the victim ends on the honest tip with every header fetched twice.
func TestPresyncRedownload(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2predl", Keys: 1})
	blocks := chainOf(gen, "r", 450, 0)
	src := newNode(t, gen.Params, "src", "")
	src.feed(t, blocks)
	params := *gen.Params
	params.MinChainWork = workOf(&params, 400) // worthy only after 400 headers
	victim := newNode(t, &params, "victim", "", func(cfg *Config) {
		cfg.presyncKeep, cfg.presyncCommitEvery, cfg.headersBatch = 150, 64, 100
	})
	connect(t, victim, src)
	// One session does it: no failure, no backoff wait.
	waitFor(t, 20*time.Second, "victim synced through a re-download", func() bool { return sameTip(src, victim) })
	s := victim.node.Stats()
	t.Logf("headers fetched %d, stored %d, max held %d, overflows %d", s.HeadersFetched, s.HeadersStored, s.PresyncMaxHeld, s.PresyncOverflows)
	if s.PresyncOverflows == 0 || s.PresyncMaxHeld > 150 {
		t.Fatalf("expected an overflow within the bound: %d overflows, max held %d", s.PresyncOverflows, s.PresyncMaxHeld)
	}
	if s.HeadersStored != 450 || s.HeadersFetched < 450+400 {
		t.Fatalf("stored %d headers (want 450), fetched %d (want the first 400 twice)", s.HeadersStored, s.HeadersFetched)
	}
	if p := victim.node.pen.Get(src.node.host.ID()); p != 0 {
		t.Fatalf("honest source penalised %.1f", p)
	}
	if digest(t, victim) != gen.Digest("r450") {
		t.Fatal("state differs after re-download sync")
	}
}
