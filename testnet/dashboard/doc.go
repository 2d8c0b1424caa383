// Package dashboard serves one live web page for a whole local testnet:
// per-node height, tip, peers, mempool and block rate; the peer graph with
// partitions; a block-propagation timeline stamped from every node's own
// websocket notifications; tx/s and confirmation-latency charts while load
// runs; and buttons for kill, start, partition, heal, load and delay that
// call the same testnet functions as the `cairn testnet` verbs. Its assets
// are embedded: it works offline. It listens on loopback only.
package dashboard
