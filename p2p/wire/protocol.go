package wire

import (
	"encoding/hex"

	"github.com/cairn-chain/cairn/consensus"
)

// Protocol identifiers. They are plain strings so callers need no libp2p types.
const (
	StatusProtocol  = "/cairn/status/1.0.0"
	HeadersProtocol = "/cairn/sync/headers/1.0.0"
	BlocksProtocol  = "/cairn/sync/blocks/1.0.0"
	TxsProtocol     = "/cairn/txs/1.0.0"
	// TxInvProtocol announces mempool tx ids; the receiver answers with
	// the ids it lacks and the announcer sends those txs.
	TxInvProtocol = "/cairn/txs/inv/1.0.0"
)

// ProtocolVersion is the version this node sends in its status; peers below
// MinProtocolVersion are refused.
const (
	ProtocolVersion    uint32 = 1
	MinProtocolVersion uint32 = 1
)

// Sync and relay limits, part of the protocol: a peer exceeding them is
// misbehaving.
const (
	MaxHeadersPerRequest = 2000
	MaxBlocksPerRequest  = 16
	MaxLocatorHashes     = 64
	MaxTxsPerPush        = 50_000
	MaxNetworkName       = 64
	// MaxInvIDs bounds one tx inventory (and so the txs fetched from it).
	MaxInvIDs = 5000
)

// networkTag is the first 8 genesis bytes in hex: it separates the topics,
// the DHT and mDNS of different networks.
func networkTag(p *consensus.Params) string { return hex.EncodeToString(p.GenesisHash[:8]) }

// TxTopic is the GossipSub topic for transactions on p's network.
func TxTopic(p *consensus.Params) string { return "/cairn/" + networkTag(p) + "/tx/1" }

// BlockTopic is the GossipSub topic for blocks on p's network.
func BlockTopic(p *consensus.Params) string { return "/cairn/" + networkTag(p) + "/block/1" }

// DHTPrefix is the Kademlia protocol prefix for p's network, so nodes of
// different networks never share a routing table.
func DHTPrefix(p *consensus.Params) string { return "/cairn/" + networkTag(p) }

// rendezvous is the DHT key under which the network's nodes advertise.
func Rendezvous(p *consensus.Params) string { return "cairn/" + networkTag(p) + "/nodes" }

// mdnsService is the mDNS service name for p's network.
func MDNSService(p *consensus.Params) string { return "cairn-" + networkTag(p) }
