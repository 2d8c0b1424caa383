// Package chain owns the replicated ledger: it stores blocks, the header
// index with cumulative work, account state, undo data and the tx and
// address indexes in one LevelDB, follows the most-work valid chain (first
// seen wins among equals), and reorganises with exact undo.
//
// Every block goes through ProcessBlock, whoever produced it. Stage 1 and 2
// rules come from consensus/; chain runs stage 3 (apply to state) and commits
// each connect or disconnect as ONE LevelDB batch (state, undo, indexes, tip),
// so a crash at any moment leaves a consistent database.
//
// Headers first: headers enter the index through ProcessHeaders (p2p calls
// it only for branches whose work it has checked), and a body is stored only
// if its header is indexed, it extends the tip, or its chain has at least
// the tip's work (ErrLowWork otherwise, before any signature is checked).
// The main chain is also kept as a slice by height, so lookups by height and
// serving headers cost the same on a chain of a million blocks as of ten.
//
// chain never imports p2p, rpc or mempool: it publishes Events to
// subscribers (Subscribe returns the unsubscribe function).
package chain
