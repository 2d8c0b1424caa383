// Package sigcache remembers which transactions' signatures verified, so a
// node verifies each signature once: the mempool fills it when it accepts a
// tx, and block checks skip (and forget) the txs it holds, as Bitcoin Core's
// signature cache does. A tx id commits to the whole encoding, signature
// included, so a hit proves that this exact signature verified.
//
// It owns a fixed-size, salted, set-associative table of ids. The salt is
// random per cache, so nobody can predict where an id lands or which entry
// a new one evicts.
//
// It must never hold an id whose signature did not verify: callers add ids
// only after verification. It does no I/O besides reading its salt.
package sigcache
