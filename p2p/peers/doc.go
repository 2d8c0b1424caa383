// Package peers is Cairn's peer management: the one misbehaviour policy
// (Judge), penalties that decay, bans by peer ID, IP address and subnet with
// their persistence (bans.json) and the libp2p ConnectionGater enforcing
// them, the table of connected peers, sync backoff, per-address upload
// budgets and the remembered-peers file (peers.json).
//
// Every map here is bounded: per-connection state lives in the Table and is
// freed when the peer disconnects; state that must outlive a connection
// (penalties, backoff, budgets, bans) sits in size-bounded LRUs, so a flood
// of fresh identities or addresses cannot grow memory.
//
// It never opens streams, touches the chain or decides what to fetch: the
// p2p package asks it who is allowed, who to trust, and what a fault costs.
package peers
