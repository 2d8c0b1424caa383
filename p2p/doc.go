// Package p2p connects a Cairn node to its peers over libp2p. It owns the
// host (identity, transports, security, connection and resource limits),
// the status handshake, GossipSub relay of transactions and blocks,
// headers-first block sync, peer scoring and bans, and peer discovery.
//
// The rest of the node sees only plain Go values: it hands the Node a
// ChainAPI and a MempoolAPI (interfaces defined here, satisfied by
// *chain.Chain and *mempool.Pool) and reads PeerInfo, NetworkInfo and Stats.
// No libp2p type crosses the package boundary.
//
// Protocols (all request/response streams use u32 length-prefixed frames,
// every read has a deadline and every frame a size limit):
//
//   - wire.StatusProtocol: run by both sides on every new connection and again
//     periodically and after tip changes. A peer on another genesis or an
//     incompatible version is disconnected and refused from then on.
//   - wire.HeadersProtocol, wire.BlocksProtocol: headers-first sync. The node takes
//     headers from the peer with the most work, checks their proof of work
//     and linkage, then fetches bodies in parallel from every peer whose
//     status covers them and feeds them to the chain in height order.
//   - wire.TxsProtocol: after a handshake each side pushes its whole mempool, so
//     a late joiner gets pending transactions that gossip already passed.
//   - GossipSub topics wire.TxTopic and wire.BlockTopic with content-addressed message
//     ids, validators backed by the mempool and the chain, and peer scoring.
//
// Wiring. The node calls BroadcastTx from the mempool's OnAccept hook (it
// fires for gossiped txs too; re-publishing those is free because message
// ids are content hashes and pubsub drops what it has already seen) and
// BroadcastBlock after the miner's or RPC's ProcessBlock succeeds. Blocks
// that arrive by gossip or sync are relayed by pubsub itself. Even if a
// publication is lost (no mesh yet), peers learn our new tip from the
// status refresh after every tip change and sync it.
//
// Misbehaviour. Gossip validators Reject what is invalid by consensus and
// Ignore what is merely unwanted (already known, pool policy, state that
// may differ between tips, a timestamp too far ahead of our clock).
// Rejections lower the sender's GossipSub score; bad sync data, stalls and
// invalid pushed txs add our own penalty, which feeds the same score. Below
// Config.ScoreThreshold a peer is disconnected and the ConnectionGater
// refuses it for Config.BanDuration.
//
// Networking defaults are local: the default listen addresses are loopback,
// the DHT only contacts Config.Bootstrap peers, mDNS runs only when
// Config.MDNS is set, and relays, NAT port mapping, hole punching and AutoNAT
// probing are off.
package p2p
