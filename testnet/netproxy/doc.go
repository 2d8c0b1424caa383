// Package netproxy runs the user-space network conditions of a testnet:
// one toxiproxy TCP proxy per node in front of its P2P port, with latency,
// jitter, segment loss and bandwidth toxics on both directions, reconciled
// with the testnet's netcond.json whenever it changes. It is the body of
// the `cairn testnet proxy` process that `cairn testnet up` starts.
package netproxy
