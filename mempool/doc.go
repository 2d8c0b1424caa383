// Package mempool holds transfers that are valid against the current chain
// tip but not yet in a block, and builds block templates from them.
//
// The pool keeps, per sender, a nonce-ordered list of transactions. The part
// that continues the account nonce without a gap is "pending" (executable);
// the rest is "queued" and is promoted once the gap is filled (and demoted
// again if the state moves back in a reorg). Every list is kept affordable:
// the sender's balance covers amount + fee of all its pool transactions,
// lowest nonce first, and whatever does not fit is dropped.
//
// Admission runs the cheapest checks first, so that junk costs little:
//  1. stateless rules: size, chain id, memo, fee (consensus and relay
//     minimum), amount + fee overflow;
//  2. the id: already in the pool, or in the recently-rejected filter;
//  3. the sender's state and pool list: nonce too low or too far ahead,
//     replacement fee bump, per-sender limits, funds;
//  4. the signature, for txs that passed everything above;
//  5. capacity, under the lock, evicting if the newcomer outranks others.
//
// A signed tx whose nonce is already used, or which the sender cannot pay,
// is thus refused without a signature check; such a tx with a bad signature
// is refused for its state, not for the signature.
//
// Recently-rejected filter (Bitcoin Core's recentRejects): ids refused for a
// reason only a new tip can change (bad signature or public key, nonce too
// low, cost above the sender's whole balance, nonce beyond any admissible
// gap) are remembered, up to Config.RejectCacheSize, and refused again with
// a RecentlyRejectedError that wraps the original code, without a state read
// or a signature check. Refusals that a change of the pool's own content can
// undo (pool or queue full, underpriced replacement, sender limits, gaps or
// shortfalls caused by the sender's other pool txs) are never remembered, nor
// are stateless ones (cheaper to redo than the id is to compute). The id
// hashes the whole encoding, signature included, so a forged variant of an
// honest tx cannot block it. Every block notification clears the filter.
//
// Capacity: all txs share Config.MaxBytes, and queued txs also have their
// own global caps (Config.MaxQueued, Config.MaxQueuedBytes; geth's
// GlobalQueue). A queued tx may only evict cheaper queued txs and is refused
// with ErrQueueFull (queued caps) or ErrPoolFull (pool bytes) otherwise; it
// never evicts a pending tx. A pending tx that needs room evicts queued txs
// first, lowest fee rate first whatever their rate, and only then pending
// txs paying a lower rate than itself, so gapped txs can never make the pool
// refuse an executable one. Evicting a tx takes its sender's later txs with
// it. Stats reports the work done (SigVerifications, RejectedCacheHits) so
// tests can assert on it instead of on time.
//
// The pool never trusts its own view of the chain: whenever it needs account
// state it asks the StateReader, which reflects the tip. Block notifications
// may arrive late (during a reorg the reader already shows the final tip), so
// BlockConnected and BlockDisconnected re-check the affected senders against
// the reader instead of replaying the block.
//
// Locking: one mutex guards the pool. Signature checks and StateReader calls
// run outside it, so submitters verify in parallel and a StateReader that
// takes the chain's lock cannot deadlock with a chain that notifies the pool
// while holding that lock. State read outside the lock is used only if no
// block notification ran since the read; otherwise Add reads it again.
package mempool
