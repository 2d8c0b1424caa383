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
// Limits under load and abuse. A body is at most MaxBodyBytes (default:
// a maximum-size block in hex plus 16 KiB, DefaultMaxBody) and is read in
// full before the request takes one of MaxConcurrent work slots, so a
// client that sends slowly never holds a work slot. While it is read and
// until a work slot is free, a request holds one of MaxBodyReads admission
// slots; bodies over 64 KiB also reserve their size from a shared budget of
// MaxBodyMemory bytes (default 4 x MaxBodyBytes) until answered, which
// bounds the memory of all large requests at once. A body must arrive at
// MinBodyRate bytes per second once BodyTimeout has passed (defaults
// 64 KiB/s after 5 s), else the client gets HTTP 408; a refused admission,
// budget or work slot is HTTP 503 "server busy" after a short wait, and an
// oversized body HTTP 413 before it is read. Raw tx and block hex is
// length-checked before it is decoded, and request ids must be valid UTF-8
// so they are echoed as valid JSON.
//
// The method table is explicit: one file per method group (chain.go,
// mempool.go, mining.go, network.go, wallet.go, control.go), each handler
// a thin layer over the small interfaces in backend.go.
package rpc
