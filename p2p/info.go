package p2p

import "time"

// PeerInfo describes one connected peer.
type PeerInfo struct {
	ID        string
	Addrs     []string // remote multiaddrs of our connections to it
	Direction string   // "inbound" or "outbound"
	// Protocol is the peer's Cairn protocol version as "cairn/<n>", empty
	// until its status arrived.
	Protocol       string
	BestHeight     uint64
	Score          float64 // gossip score including our own penalties
	BytesIn        uint64
	BytesOut       uint64
	ConnectedSince time.Time
}

// NetworkInfo describes the local node.
type NetworkInfo struct {
	PeerID      string
	ListenAddrs []string
	Protocol    string // "cairn/<ProtocolVersion>"
}

// BanInfo is one active ban, for RPC listbanned. ID is the banned target:
// a peer ID, an IP address or a CIDR subnet.
type BanInfo struct {
	ID     string
	Until  time.Time
	Reason string
}
