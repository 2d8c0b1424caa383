// Package mempool holds transfers that are valid against the current chain
// tip but not yet in a block, and builds block templates from them.
//
// The pool keeps, per sender, a nonce-ordered list of transactions. The part
// that continues the account nonce without a gap is "pending" (executable);
// the rest is "queued" and is promoted implicitly once the gap is filled.
// Every list is kept affordable: the sender's balance covers amount + fee of
// all its pool transactions, lowest nonce first, and whatever does not fit is
// dropped.
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
// while holding that lock.
package mempool
