// Package p2p connects a Cairn node to its peers over libp2p. It owns the
// host (identity, transports, security, connection and resource limits),
// the status handshake, headers-first sync with header pre-sync, relay of
// transactions and blocks (GossipSub plus tx inventories), and discovery.
// Two sub-packages hold what does not need a host:
//
//   - p2p/wire: protocol ids, limits, frames and message encodings.
//   - p2p/peers: the one misbehaviour policy (peers.Judge), penalties, bans
//     by peer ID, IP and subnet (persisted in bans.json) and the
//     ConnectionGater enforcing them, the connected-peer table, sync
//     backoff, per-address upload budgets and the peer file.
//
// The rest of the node sees only plain Go values: it hands the Node a
// ChainAPI and a MempoolAPI (interfaces defined here, satisfied by
// *chain.Chain and *mempool.Pool) and reads PeerInfo, NetworkInfo, BanInfo
// and Stats. No libp2p type crosses the package boundary.
//
// Files by responsibility: node.go (lifecycle), handshake.go (status),
// sync.go + presync.go + fetch.go (headers-first sync: pre-sync a peer's
// branch in memory, store its headers once it beats our work, fetch bodies
// in parallel), gossip.go + validate.go (GossipSub relay), txrelay.go (tx
// inventories and reorg pushes), handlers.go (serving streams), score.go +
// bans.go (applying the policy), dialer.go + discovery.go (who to connect
// to), upkeep.go (saving files, the no-peers warning).
//
// Protocols (all request/response streams use u32 length-prefixed frames,
// every read has a deadline and every frame a size limit):
//
//   - StatusProtocol: run by both sides on every new connection and again
//     periodically and after tip changes. A peer on another genesis or an
//     incompatible version is disconnected and refused from then on.
//   - HeadersProtocol, BlocksProtocol: headers-first sync. The node walks
//     the headers of the peer with the most claimed work in memory until
//     their work beats ours (and the network's minimum chain work), then
//     stores them and fetches bodies from every peer whose status covers
//     them. A peer whose headers fall short of the work it claimed is
//     penalised and backed off, so the next pick rotates to another.
//   - TxInvProtocol: after a handshake (and on a tx mesh graft) each side
//     announces up to wire.MaxInvIDs of its best pool txs by id and sends
//     those the other lacks, within a per-address upload budget.
//   - TxsProtocol: txs a reorg put back in the pool, pushed to every peer.
//   - GossipSub topics TxTopic and BlockTopic with content-addressed message
//     ids, validators backed by the mempool and the chain, and peer scoring.
//     Only blocks that become or extend our best tip are relayed.
//
// Wiring. The node calls BroadcastTx from the mempool's OnAccept hook (it
// fires for gossiped txs too; re-publishing those is free because message
// ids are content hashes and pubsub drops what it has already seen) and
// BroadcastBlock after the miner's or RPC's ProcessBlock succeeds. Blocks
// that arrive by gossip or sync are relayed by pubsub itself. Even if a
// publication is lost (no mesh yet), peers learn our new tip from the
// status refresh after every tip change and sync it.
//
// Misbehaviour. Every error met while handling what a peer sent goes
// through peers.Judge (table in docs/PROTOCOL.md): none or ignore (clock
// skew, state-dependent tx codes, pool policy, already known, low work,
// storage trouble) cost nothing; the rest is a penalty. Gossip turns a
// penalty into Reject (pubsub's score charges it); sync, tx relay and
// stream handlers add it to our own penalty, which feeds the same score.
// Below Config.ScoreThreshold a peer is disconnected and banned for
// Config.BanDuration, by peer ID and by the IP it connected from.
//
// Networking defaults: the public networks (main, test) listen on all
// interfaces (as bitcoind), regtest and custom networks on loopback; the DHT only contacts
// Config.Bootstrap peers, mDNS runs only when Config.MDNS is set, and
// relays, NAT port mapping, hole punching and AutoNAT probing are off.
package p2p
