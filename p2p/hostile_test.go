package p2p

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/holiman/uint256"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func blocksOf(bs []*chaintest.Block) []*consensus.Block {
	out := make([]*consensus.Block, len(bs))
	for i, b := range bs {
		out[i] = b.Block
	}
	return out
}

// A peer claiming 2^200 work that answers getheaders with one header we
// already have is penalised and backed off; the victim syncs from the honest
// peer next to it.
func TestHostileLyingSyncPeer(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pliar", Keys: 2})
	blocks := chainOf(gen, "l", 30, 0)
	honest := newNode(t, gen.Params, "honest", "")
	honest.feed(t, blocks)
	victim := newNode(t, gen.Params, "victim", "")
	victim.feed(t, blocks[:2])

	liar := newHostile(t, gen.Params, "", nil)
	liar.serve(blocksOf(blocks[:2]))
	liar.claim(new(uint256.Int).Lsh(uint256.NewInt(1), 200), 1_000_000)
	liar.answerHeaders(func(*wire.HeadersReq) []consensus.Header { return []consensus.Header{blocks[0].Block.Header} })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.node.AddNode(ctx, liar.addr()); err != nil {
		t.Fatal(err)
	}
	connect(t, victim, honest)
	waitFor(t, 60*time.Second, "victim reaches the honest tip", func() bool { return sameTip(honest, victim) })
	if liar.headerReqs.Load() == 0 {
		t.Fatal("the liar was never asked: the test did not exercise the lie")
	}
	if got := victim.node.pen.Get(liar.host.ID()); got < 40 {
		t.Fatalf("liar penalty %.1f, want about %d", got, 50)
	}
	if !victim.node.backoff.Active(liar.host.ID()) {
		t.Fatal("liar not backed off")
	}
	if p, ok := victim.node.pickSyncPeer(uint256.NewInt(0)); ok && p.ID == liar.host.ID() {
		t.Fatal("liar would win the next sync pick")
	}
	if victim.node.pen.Get(honest.node.host.ID()) != 0 {
		t.Fatal("honest peer penalised")
	}
}

// Invalid-signature tx spam gets the sender banned by ID and address: a
// new identity from the same address is refused before any handshake, and
// the ban shows in Banned() under both targets.
func TestHostileInvalidSigSpamBansAddress(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2psigspam", Keys: 2})
	victim := newNode(t, gen.Params, "victim", "")
	good := newNode(t, gen.Params, "good", "")
	connect(t, good, victim)

	evil := newHostile(t, gen.Params, "", nil)
	if err := evil.connect(t, victim); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "victim sees evil's address", func() bool {
		e, ok := victim.node.table.Get(evil.host.ID())
		return ok && e.IP.String() == evil.ip
	})
	for i := uint64(0); i < 6 && !banned(victim, evil.host.ID()); i++ {
		tx := gen.Tx(gen.Keys[0], i, gen.Keys[1].Addr, 1000, gen.Params.MinTxFee, nil)
		tx.Sig[5] ^= 1
		evil.publishTo(t, victim, wire.TxTopic(gen.Params), tx.Encode())
		waitFor(t, 10*time.Second, "spam validated", func() bool {
			return victim.node.Stats().Gossip[KindTx][VerdictReject] > i || banned(victim, evil.host.ID())
		})
	}
	waitFor(t, 15*time.Second, "spammer banned", func() bool { return banned(victim, evil.host.ID()) })
	if _, bad := victim.node.bans.Addr(netip.MustParseAddr(evil.ip)); !bad {
		t.Fatalf("spammer's address %s not banned: %v", evil.ip, victim.node.Banned())
	}
	targets := map[string]bool{}
	for _, b := range victim.node.Banned() {
		targets[b.ID] = true
	}
	if !targets[evil.host.ID().String()] || !targets[evil.ip] {
		t.Fatalf("Banned() = %v, want the ID and %s", victim.node.Banned(), evil.ip)
	}

	// Same address, fresh identity.
	handshakes := victim.node.Stats().Handshakes
	again := newHostile(t, gen.Params, evil.ip, nil)
	if again.host.ID() == evil.host.ID() {
		t.Fatal("need a fresh identity")
	}
	_ = again.connect(t, victim) // may appear to succeed before the victim hangs up
	waitFor(t, 10*time.Second, "new identity from a banned address dropped", func() bool {
		return again.host.Network().Connectedness(victim.node.host.ID()) != network.Connected
	})
	time.Sleep(300 * time.Millisecond) // a handshake, had it happened, would have registered
	if _, ok := victim.node.table.Get(again.host.ID()); ok {
		t.Fatal("victim admitted a new identity from a banned address")
	}
	if got := victim.node.Stats().Handshakes; got != handshakes {
		t.Fatalf("victim completed %d handshakes after the ban, want none", got-handshakes)
	}
	if !victim.ready(good) || banned(victim, good.node.host.ID()) {
		t.Fatal("the honest peer on 127.0.0.1 was hit by the address ban")
	}
}

// Bans (automatic by address, manual by ID, IP and subnet) survive a
// restart: listbanned shows them and the gater enforces them.
func TestHostileBanSurvivesRestart(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pbanpersist", Keys: 1})
	dir := t.TempDir()
	victim := newNode(t, gen.Params, "victim", dir)
	evil := newHostile(t, gen.Params, "", nil)
	if err := evil.connect(t, victim); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "evil connected", func() bool { _, ok := victim.node.table.Get(evil.host.ID()); return ok })
	victim.node.penalize(evil.host.ID(), 1000, "test: misbehaved")
	waitFor(t, 10*time.Second, "evil banned", func() bool { return banned(victim, evil.host.ID()) })
	for _, target := range []string{"10.9.8.7", "192.0.2.0/24"} {
		if err := victim.node.Ban(target, time.Hour, "operator"); err != nil {
			t.Fatal(err)
		}
	}
	if err := victim.node.Ban("garbage", time.Hour, "x"); err == nil {
		t.Fatal("garbage ban target accepted")
	}
	before := victim.node.Banned()
	if len(before) != 4 {
		t.Fatalf("bans before restart %v, want 4", before)
	}
	victim.stop(t)

	restarted := newNode(t, gen.Params, "restarted", dir)
	after := restarted.node.Banned()
	if len(after) != len(before) {
		t.Fatalf("bans after restart %v, want %v", after, before)
	}
	for i := range before {
		if after[i].ID != before[i].ID || !after[i].Until.Equal(before[i].Until) {
			t.Fatalf("ban %d changed across restart: %+v -> %+v", i, before[i], after[i])
		}
	}
	again := newHostile(t, gen.Params, evil.ip, nil)
	_ = again.connect(t, restarted)
	waitFor(t, 10*time.Second, "banned address refused after restart", func() bool {
		return again.host.Network().Connectedness(restarted.node.host.ID()) != network.Connected
	})
	var re RefusedError
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := restarted.node.AddNode(ctx, again.addr()); !errors.As(err, &re) {
		t.Fatalf("dialling a banned address: %v, want RefusedError", err)
	}
	if err := restarted.node.Unban("192.0.2.0/24"); err != nil {
		t.Fatal(err)
	}
	if len(restarted.node.Banned()) != 3 {
		t.Fatalf("unban did not lift the subnet: %v", restarted.node.Banned())
	}
}

// A peer whose clock runs ahead (its newest blocks are timestamped past our
// future bound, ErrTimeTooNew) is never penalised, by sync or by gossip:
// the victim takes what it can and leaves the rest for later.
func TestHostileClockSkewNotPenalised(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pskew", Keys: 2})
	blocks := chainOf(gen, "k", 10, 0)
	ahead := time.Now().Unix() + gen.Params.MaxFutureBlockTime + 600
	skewed := []*chaintest.Block{gen.NextBlock("k11", "k10", chaintest.Timestamp(ahead))}
	skewed = append(skewed, gen.NextBlock("k12", "k11", chaintest.Timestamp(ahead+1)))
	// Gossip the first skewed block: its parent is known, so the chain
	// judges its timestamp (a later one would only be an orphan).
	gossiped := skewed[0]

	victim := newNode(t, gen.Params, "victim", "")
	skew := newHostile(t, gen.Params, "", nil)
	skew.serve(append(blocksOf(blocks), blocksOf(skewed)...))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.node.AddNode(ctx, skew.addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "victim synced the blocks within its clock", func() bool {
		return victim.chain.Tip().Hash == blocks[len(blocks)-1].Hash
	})
	// Pre-sync meets the skewed header: the session ends without blame and
	// the peer is only backed off, to be tried again later.
	waitFor(t, 30*time.Second, "victim met the skewed header", func() bool {
		return victim.node.backoff.Active(skew.host.ID())
	})
	skew.publishTo(t, victim, wire.BlockTopic(gen.Params), gossiped.Block.Encode())
	waitFor(t, 10*time.Second, "gossiped skewed block judged", func() bool {
		return victim.node.Stats().Gossip[KindBlock][VerdictIgnore] >= 1
	})
	if n := victim.node.Stats().Gossip[KindBlock][VerdictReject]; n != 0 {
		t.Fatalf("victim rejected %d skewed blocks by gossip", n)
	}
	if p := victim.node.pen.Get(skew.host.ID()); p != 0 {
		t.Fatalf("skewed peer penalised %.1f", p)
	}
	if banned(victim, skew.host.ID()) || victim.node.host.Network().Connectedness(skew.host.ID()) != network.Connected {
		t.Fatal("skewed peer banned or disconnected")
	}
	for _, b := range skewed {
		if victim.chain.HaveBlock(b.Hash) {
			t.Fatalf("victim stored %s, timestamped past its future bound", b.Name)
		}
	}
}

// Reconnecting with fresh peer IDs from one address does not multiply what
// the victim uploads unasked: mempool inventories and the txs sent for them
// come out of one budget per address, while a peer on another address has a
// budget of its own.
func TestHostileReconnectDoesNotAmplifyUpload(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pamplify", Keys: 20})
	const burst = 20 << 10 // about half the pool with its inventory
	victim := newNode(t, gen.Params, "victim", "", func(cfg *Config) { cfg.uploadBurst, cfg.uploadRate = burst, 100 })
	total := 0
	for _, k := range gen.Keys {
		for nonce := uint64(0); nonce < 10; nonce++ {
			if _, err := victim.pool.Add(gen.Tx(k, nonce, gen.Keys[0].Addr, 1000, gen.Params.MinTxFee, nil)); err != nil {
				t.Fatal(err)
			}
			total++
		}
	}
	ip := freshLoopback()
	start := time.Now()
	var got, bytes, first int64
	for i := 0; i < 5; i++ {
		hp := newHostile(t, gen.Params, ip, nil)
		throttled := victim.node.Stats().UploadThrottled
		if err := hp.connect(t, victim); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "victim announced or was throttled", func() bool {
			return hp.invs.Load() > 0 || victim.node.Stats().UploadThrottled > throttled
		})
		time.Sleep(200 * time.Millisecond) // let the txs asked for arrive
		got += hp.invTxs.Load()
		bytes += hp.invBytes.Load()
		if i == 0 {
			first = hp.invTxs.Load()
		}
		hp.host.Close()
	}
	allowed := int64(burst) + int64(100*time.Since(start).Seconds()) + 4096 // frames and rounding
	t.Logf("5 reconnects received %d txs, %d bytes; budget allowed %d; pool %d txs", got, bytes, allowed, total)
	if bytes > allowed {
		t.Fatalf("upload to one address %d bytes, budget %d", bytes, allowed)
	}
	if first == 0 {
		t.Fatal("the first identity got nothing: the announce did not run")
	}
	if got >= int64(total) {
		t.Fatalf("fresh identities drained %d txs, more than one pool's worth", got)
	}
	if victim.node.Stats().UploadThrottled == 0 {
		t.Fatal("budget never throttled")
	}
	// A node on another address has its own budget: it gets what the
	// first identity got, however much the others drained.
	other := newNode(t, gen.Params, "other", "")
	connect(t, other, victim)
	waitFor(t, 20*time.Second, "other node got its share", func() bool { return int64(other.pool.Count()) >= first })
}

// Per-connection state is freed when peers leave: after twelve hostile
// peers connect, complete the handshake and vanish, the victim's peer
// table, gossip mesh view and dial targets hold nothing of them.
func TestHostilePeerStateFreedOnDisconnect(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2pfree", Keys: 1})
	victim := newNode(t, gen.Params, "victim", "")
	var hs []*hostile
	for i := 0; i < 12; i++ {
		hp := newHostile(t, gen.Params, "", nil)
		if err := hp.connect(t, victim); err != nil {
			t.Fatal(err)
		}
		victim.node.dialer.add(peer.AddrInfo{ID: hp.host.ID(), Addrs: hp.host.Addrs()}, false)
		hs = append(hs, hp)
	}
	waitFor(t, 15*time.Second, "all handshakes", func() bool { return len(victim.node.table.Ready()) == len(hs) })
	for _, hp := range hs {
		hp.host.Close()
	}
	waitFor(t, 15*time.Second, "peer table emptied", func() bool { return victim.node.table.Len() == 0 })
	victim.node.dialer.mu.Lock()
	targets := len(victim.node.dialer.targets)
	victim.node.dialer.mu.Unlock()
	if targets != 0 {
		t.Fatalf("%d discovered dial targets kept after their peers left", targets)
	}
	victim.node.tracer.mu.Lock()
	defer victim.node.tracer.mu.Unlock()
	for topic, m := range victim.node.tracer.mesh {
		if len(m) != 0 {
			t.Fatalf("mesh view of %s still holds %d departed peers", topic, len(m))
		}
	}
}

// Automatic bans never ban the shared local address 127.0.0.1 (as Bitcoin
// Core never punishes local peers by address): a faulty node of a local
// test network is banned by ID without cutting off its neighbours.
func TestAutomaticBanSparesSharedLocalAddress(t *testing.T) {
	gen := chaintest.MustNew(chaintest.Options{Name: "p2plocalban", Keys: 1})
	victim := newNode(t, gen.Params, "victim", "")
	bad := newNode(t, gen.Params, "bad", "")
	good := newNode(t, gen.Params, "good", "")
	connect(t, bad, victim)
	connect(t, good, victim)
	victim.node.penalize(bad.node.host.ID(), 1000, "test: misbehaved")
	waitFor(t, 10*time.Second, "bad banned and dropped", func() bool {
		return banned(victim, bad.node.host.ID()) && !victim.ready(bad)
	})
	if _, hit := victim.node.bans.Addr(netip.MustParseAddr("127.0.0.1")); hit {
		t.Fatal("automatic ban covered 127.0.0.1")
	}
	if bs := victim.node.Banned(); len(bs) != 1 || bs[0].ID != bad.node.ID() {
		t.Fatalf("Banned() = %v, want only bad's ID", bs)
	}
	if !victim.ready(good) {
		t.Fatal("the good neighbour was cut off")
	}
}
