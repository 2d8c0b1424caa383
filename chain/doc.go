// Package chain owns the replicated ledger: it stores blocks, the header
// index with cumulative work, account state, undo data and the tx and
// address indexes in one LevelDB, follows the most-work valid chain, and
// reorganises with exact undo.
//
// Every block goes through ProcessBlock, whoever produced it. Stage 1 and 2
// rules come from consensus/; chain runs stage 3 (apply to state) and commits
// each connect or disconnect as ONE LevelDB batch (state, undo, indexes, tip),
// so a crash at any moment leaves a consistent database. Stage 1 verifies a
// block's signatures as one BIP-340 batch (consensus.BatchVerifier) and
// skips those the shared signature cache (chain/sigcache, filled by the
// mempool) vouches for; results are exactly one-by-one verification's.
// chain never imports
// p2p, rpc or mempool: it publishes Events to subscribers instead.
package chain
