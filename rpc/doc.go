// Package rpc is the node's JSON-RPC 2.0 interface over HTTP, and the
// client the CLI uses to call it.
//
// Requests are POSTed to "/" with HTTP Basic auth: either the configured
// user and password, or the cookie that Start writes to <DataDir>/.cookie
// (mode 0600, removed by Shutdown), as bitcoind does. Without an explicit
// user and password the server only listens on a loopback address.
//
// Batches and notifications follow the JSON-RPC 2.0 specification; every
// method accepts its params as an array (positional) or an object (by
// name). Method names and result shapes follow bitcoind where it has an
// equivalent. Amounts are integers in base units, hashes and raw data are
// lowercase hex, addresses are bech32m. Error codes are listed in
// errors.go; every failure, including bad auth, oversized bodies, wrong
// HTTP methods and panics in handlers, gets a JSON-RPC error body.
//
// The method table is explicit: one file per method group (chain.go,
// mempool.go, mining.go, network.go, wallet.go, control.go), each handler
// a thin layer over the small interfaces in backend.go.
package rpc
