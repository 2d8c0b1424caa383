package p2p

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// bansFile holds the ban list in the data dir, so bans survive a restart.
const bansFile = "bans.json"

// Ban refuses a target for d and drops its connections (RPC setban; also
// how `cairn testnet partition` splits a network without root). The target
// is a peer ID, an IP address or a CIDR subnet; a peer ID bans only that
// identity, an address or subnet every peer connecting from it.
func (n *Node) Ban(target string, d time.Duration, reason string) error {
	id, pfx, err := peers.ParseTarget(target)
	if err != nil {
		return err
	}
	if id == n.host.ID() {
		return fmt.Errorf("p2p: cannot ban this node")
	}
	if d <= 0 {
		return fmt.Errorf("p2p: ban duration must be positive")
	}
	until := time.Now().Add(d)
	if id != "" {
		n.bans.BanPeer(id, until, reason)
	} else {
		n.bans.BanNet(pfx, until, reason)
	}
	n.stats.bans.Add(1)
	n.log.Info("banned", "target", target, "for", d, "reason", reason)
	n.saveBans()
	if id != "" {
		_ = n.host.Network().ClosePeer(id)
		return nil
	}
	for _, c := range n.host.Network().Conns() {
		if ip, ok := peers.IPOf(c.RemoteMultiaddr()); ok && pfx.Contains(ip) {
			_ = n.host.Network().ClosePeer(c.RemotePeer())
		}
	}
	return nil
}

// Unban lifts a ban on a peer ID, IP address or subnet.
func (n *Node) Unban(target string) error {
	ok, err := n.bans.Unban(target)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("p2p: %s is not banned", target)
	}
	n.saveBans()
	return nil
}

// Banned lists active bans, soonest to expire first.
func (n *Node) Banned() []BanInfo {
	bs := n.bans.List()
	out := make([]BanInfo, len(bs))
	for i, b := range bs {
		out[i] = BanInfo{ID: b.Target, Until: b.Until, Reason: b.Reason}
	}
	return out
}

// ClearBans lifts every ban.
func (n *Node) ClearBans() {
	n.bans.Clear()
	n.saveBans()
}

func (n *Node) saveBans() {
	if err := n.bans.Save(); err != nil {
		n.log.Warn("save ban list", "err", err)
	}
}

// ban refuses a misbehaving peer for BanDuration: its ID and the address it
// connects from, so a new identity from the same host is refused too.
func (n *Node) ban(p peer.ID, reason string) {
	if p == n.host.ID() {
		return
	}
	if _, already := n.bans.Peer(p); already {
		return
	}
	until := time.Now().Add(n.cfg.BanDuration)
	n.bans.BanPeer(p, until, reason)
	var ips []netip.Addr
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if ip, ok := peers.IPOf(c.RemoteMultiaddr()); ok {
			ips = append(ips, ip)
		}
	}
	if e, ok := n.table.Get(p); ok && e.IP.IsValid() && len(ips) == 0 {
		ips = append(ips, e.IP)
	}
	var addrs []string
	for _, ip := range ips {
		if sharedLocal(ip) {
			continue
		}
		n.bans.BanNet(hostPrefix(ip), until, "address of "+p.String()+": "+reason)
		addrs = append(addrs, ip.String())
	}
	n.stats.bans.Add(1)
	n.log.Warn("banned peer", "peer", p, "addrs", addrs, "until", until.Format(time.RFC3339), "reason", reason)
	n.goSafe("disconnect banned", func() {
		_ = n.host.Network().ClosePeer(p)
		n.saveBans()
	})
}

// refuse remembers a peer that can never be useful (another network or
// version) for d, by ID only: its address may host compatible nodes.
func (n *Node) refuse(p peer.ID, d time.Duration, reason string) {
	n.bans.BanPeer(p, time.Now().Add(d), reason)
}

// allowed reports whether p is not banned by ID or by any address we are
// connected to it on.
func (n *Node) allowed(p peer.ID) bool {
	if !n.gater.Allowed(p) {
		return false
	}
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if _, bad := n.bans.Multiaddr(c.RemoteMultiaddr()); bad {
			return false
		}
	}
	return true
}

// connIP is the remote IP of our first connection to p.
func connIP(c []network.Conn) (ip netip.Addr, ok bool) {
	if len(c) == 0 {
		return ip, false
	}
	return peers.IPOf(c[0].RemoteMultiaddr())
}

// hostPrefix is the single-address prefix of ip.
func hostPrefix(ip netip.Addr) netip.Prefix { return netip.PrefixFrom(ip, ip.BitLen()) }

// sharedLocal reports whether ip is the address every local process
// connects from (127.0.0.1, ::1). Like Bitcoin Core, which never punishes
// local peers by address, automatic bans leave it alone: a local test
// network of real processes all shares it, and one faulty node must not
// cut a node off from the rest. Other loopback addresses are banned like
// any address; an operator can still ban 127.0.0.1 with setban.
func sharedLocal(ip netip.Addr) bool {
	return ip == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || ip == netip.IPv6Loopback()
}
