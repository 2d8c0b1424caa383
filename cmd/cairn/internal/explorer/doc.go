// Package explorer serves the node's block explorer: a small embedded web
// UI (plain HTML, CSS and JavaScript through Go embed, so it works offline)
// and, under /api, the RPC server's read-only interface (rpc.PublicHandler)
// that the pages call over POST and a websocket for live updates.
//
// What it shows is public chain data: blocks, transactions, accounts with
// their history, the mempool. The peers page (peer ids and addresses) asks
// for the RPC credentials by HTTP Basic auth; the wallet is never reachable.
// Like RPC, it listens on loopback unless RPC credentials are configured,
// and on loopback it answers only requests whose Host is a loopback name,
// so a web page cannot reach it through DNS rebinding.
//
// It owns HTTP routing and the assets, nothing else: every query runs
// through the rpc package's method table.
package explorer
