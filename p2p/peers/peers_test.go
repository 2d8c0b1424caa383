package peers

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func rule(c consensus.ErrorCode) error {
	return fmt.Errorf("wrapped: %w", consensus.RuleError{Code: c, Msg: "test"})
}

// The policy table of docs/PROTOCOL.md, row by row.
func TestJudgeTable(t *testing.T) {
	cases := []struct {
		name    string
		kind    Kind
		err     error
		action  Action
		penalty float64
	}{
		{"nil", KindBlock, nil, None, 0},
		{"clock skew block", KindBlock, rule(consensus.ErrTimeTooNew), None, 0},
		{"clock skew header", KindHeader, rule(consensus.ErrTimeTooNew), None, 0},
		{"tx nonce", KindTx, rule(consensus.ErrBadNonce), None, 0},
		{"tx funds", KindTx, rule(consensus.ErrInsufficientFunds), None, 0},
		{"block nonce", KindBlock, rule(consensus.ErrBadNonce), Penalize, PenaltyInvalid},
		{"mempool policy", KindTx, mempool.Error{Code: mempool.ErrPoolFull}, None, 0},
		{"already have", KindBlock, fmt.Errorf("x: %w", chain.ErrAlreadyHave), Ignore, 0},
		{"low work", KindBlock, fmt.Errorf("x: %w", chain.ErrLowWork), Ignore, 0},
		{"header link", KindHeader, rule(consensus.ErrHeaderLink), Penalize, PenaltyInvalid},
		{"checkpoint", KindHeader, rule(consensus.ErrCheckpointMismatch), Penalize, PenaltyInvalid},
		{"fork before checkpoint", KindBlock, rule(consensus.ErrForkBeforeCheckpoint), Penalize, PenaltyInvalid},
		{"storage", KindBlock, errors.New("leveldb: disk full"), None, 0},
		{"unknown parent", KindBlock, rule(consensus.ErrUnknownParent), Ignore, 0},
		{"bad pow", KindBlock, rule(consensus.ErrHighHash), Penalize, PenaltyInvalid},
		{"bad header", KindHeader, rule(consensus.ErrBadDifficulty), Penalize, PenaltyInvalid},
		{"bad tx sig", KindTx, rule(consensus.ErrBadSignature), Penalize, PenaltyBadTx},
		{"protocol", KindMessage, wire.Errorf("garbage"), Penalize, PenaltyInvalid},
		{"timeout", KindMessage, os.ErrDeadlineExceeded, Penalize, PenaltyStall},
		{"lied", KindHeader, fmt.Errorf("x: %w", ErrLiedWork), Penalize, PenaltyLied},
		{"not connecting", KindHeader, ErrNotConnecting, Penalize, PenaltyInvalid},
	}
	for _, c := range cases {
		v := Judge(c.kind, c.err)
		if v.Action != c.action || v.Penalty != c.penalty {
			t.Errorf("%s: got %v %.0f, want %v %.0f", c.name, v.Action, v.Penalty, c.action, c.penalty)
		}
	}
}

func TestPenaltiesDecayAndBound(t *testing.T) {
	now := time.Unix(1000, 0)
	ps := NewPenalties(func() time.Time { return now })
	id := peer.ID("x")
	if v := ps.Add(id, 100); v != 100 {
		t.Fatalf("got %v", v)
	}
	now = now.Add(PenaltyHalfLife)
	if v := ps.Get(id); v < 49.9 || v > 50.1 {
		t.Fatalf("after one half-life %v, want 50", v)
	}
	for i := 0; i < maxTracked+100; i++ {
		ps.Add(peer.ID(fmt.Sprint(i)), 1)
	}
	if ps.Len() != maxTracked {
		t.Fatalf("penalty table grew to %d, bound %d", ps.Len(), maxTracked)
	}
}

func TestBackoffDoublesAndClears(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBackoff(func() time.Time { return now })
	if d := b.Fail("p", time.Second); d != time.Second || !b.Active("p") {
		t.Fatalf("first failure: %v", d)
	}
	if d := b.Fail("p", time.Second); d != 2*time.Second {
		t.Fatalf("second failure: %v", d)
	}
	now = now.Add(3 * time.Second)
	if b.Active("p") {
		t.Fatal("backoff did not expire")
	}
	b.Fail("p", time.Second)
	b.Succeed("p")
	if b.Active("p") || b.Len() != 0 {
		t.Fatal("success did not clear the backoff")
	}
}

func newID(t *testing.T) peer.ID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type conn struct{ remote ma.Multiaddr }

func (c conn) LocalMultiaddr() ma.Multiaddr  { return ma.StringCast("/ip4/127.0.0.1/tcp/1") }
func (c conn) RemoteMultiaddr() ma.Multiaddr { return c.remote }

func TestBansByIDAddressAndSubnet(t *testing.T) {
	now := time.Unix(1000, 0)
	path := filepath.Join(t.TempDir(), "bans.json")
	b := NewBanList(path, func() time.Time { return now })
	g := NewGater(b)
	g.Open()
	id, other := newID(t), newID(t)
	b.BanPeer(id, now.Add(time.Minute), "spam")
	for _, target := range []string{"10.1.2.3", "192.168.0.0/16", "2001:db8::/32"} {
		pid, pfx, err := ParseTarget(target)
		if err != nil || pid != "" {
			t.Fatalf("%s: %v", target, err)
		}
		b.BanNet(pfx, now.Add(time.Hour), "manual")
	}
	if _, _, err := ParseTarget("not-a-target"); err == nil {
		t.Fatal("garbage target accepted")
	}
	at := func(s string) conn { return conn{ma.StringCast(s)} }
	checks := []struct {
		p    peer.ID
		addr string
		ok   bool
	}{
		{id, "/ip4/1.1.1.1/tcp/1", false},                 // banned ID
		{other, "/ip4/10.1.2.3/tcp/9", false},             // banned IP, fresh ID
		{other, "/ip4/10.1.2.4/tcp/9", true},              // neighbour of a banned IP
		{other, "/ip4/192.168.44.5/udp/1/quic-v1", false}, // banned subnet
		{other, "/ip6/2001:db8::7/tcp/1", false},          // banned v6 subnet
		{other, "/ip6/2001:db9::7/tcp/1", true},
	}
	for _, c := range checks {
		if got := g.InterceptSecured(0, c.p, at(c.addr)); got != c.ok {
			t.Errorf("secured %s from %s: %v, want %v", c.p, c.addr, got, c.ok)
		}
		if c.p == other {
			if got := g.InterceptAccept(at(c.addr)); got != c.ok {
				t.Errorf("accept from %s: %v, want %v", c.addr, got, c.ok)
			}
			if got := g.InterceptAddrDial(other, ma.StringCast(c.addr)); got != c.ok {
				t.Errorf("dial %s: %v, want %v", c.addr, got, c.ok)
			}
		}
	}
	if n := len(b.List()); n != 4 {
		t.Fatalf("listed %d bans, want 4: %v", n, b.List())
	}

	// Persisted and reloaded; expired bans are dropped on load.
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // the ID ban expired
	b2 := NewBanList(path, func() time.Time { return now })
	if err := b2.Load(); err != nil {
		t.Fatal(err)
	}
	if _, bad := b2.Peer(id); bad {
		t.Fatal("expired ban reloaded")
	}
	if _, bad := b2.Addr(netip.MustParseAddr("192.168.1.1")); !bad || len(b2.List()) != 3 {
		t.Fatalf("reloaded bans %v", b2.List())
	}
	if ok, err := b2.Unban("192.168.0.0/16"); !ok || err != nil {
		t.Fatalf("unban subnet: %v %v", ok, err)
	}
	if _, bad := b2.Addr(netip.MustParseAddr("192.168.1.1")); bad {
		t.Fatal("unbanned subnet still refused")
	}
}

func TestBanListBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBanList("", func() time.Time { return now })
	for i := 0; i < MaxBans+50; i++ {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		b.BanNet(netip.PrefixFrom(ip, 32), now.Add(time.Hour+time.Duration(i)), "flood")
	}
	if n := b.Count(); n > MaxBans {
		t.Fatalf("ban list grew to %d", n)
	}
}

func TestBudgetPerAddress(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBudget(100, 1000, func() time.Time { return now })
	a, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	if got := b.Take(a, 800); got != 800 {
		t.Fatalf("first take %v", got)
	}
	if got := b.Take(a, 800); got != 200 {
		t.Fatalf("second take %v, want the 200 left", got)
	}
	if got := b.Take(c, 800); got != 800 {
		t.Fatalf("another address has its own budget: %v", got)
	}
	now = now.Add(2 * time.Second)
	if got := b.Take(a, 800); got != 200 {
		t.Fatalf("refill after 2s: %v, want 200", got)
	}
}

func TestTableFreesOnRemove(t *testing.T) {
	tb := NewTable()
	now := time.Unix(1000, 0)
	tb.Add("p", 0, netip.Addr{}, now)
	if !tb.StartRefresh("p") || tb.StartRefresh("p") {
		t.Fatal("refresh mark")
	}
	if tb.GraftPushDue("p", now, time.Minute) {
		t.Fatal("announce due before the handshake")
	}
	tb.SetStatus("p", &wire.Status{})
	if !tb.GraftPushDue("p", now, time.Minute) || tb.GraftPushDue("p", now.Add(time.Second), time.Minute) {
		t.Fatal("graft announce rate limit")
	}
	tb.Remove("p")
	if tb.Len() != 0 || tb.StartRefresh("p") {
		t.Fatal("state kept after remove")
	}
}
