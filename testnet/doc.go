// Package testnet creates and drives local multi-node Cairn networks of real
// `cairn node` processes on 127.0.0.1: a custom genesis with pre-funded
// accounts, one data dir, identity and port set per node, a topology, faults
// (kill, stop, start, partition, heal) and load. The `cairn testnet` CLI and
// the project's integration tests use the same code, in the spirit of Bitcoin
// Core's functional test framework.
//
// It talks to nodes only through their JSON-RPC and process signals; it never
// opens a node's database. Every wait is bounded by a context or timeout.
package testnet
