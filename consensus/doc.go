// Package consensus defines what a valid Cairn chain is. Every node must
// compute exactly the same answers from this package, so it is kept small,
// deterministic and free of side effects.
//
// It owns:
//
//   - the data types: [Tx], [Header], [Block], [Address], [Hash], [Account];
//   - their canonical wire encoding and strict decoders ([DecodeTx],
//     [DecodeHeader], [DecodeBlock]): fixed-width big-endian integers, no
//     trailing bytes, exactly one encoding per value;
//   - hashing: tx ids, signature hashes, header hashes, merkle roots and
//     BIP-340 tagged hashes ([TaggedHash]);
//   - addresses: derivation from x-only keys and bech32m text form;
//   - network parameters ([Params]), genesis construction and custom
//     networks from a [GenesisSpec];
//   - proof of work: compact targets, chain work and the ASERT difficulty
//     algorithm ([NextBits]);
//   - the consensus rules and the account state transition (below).
//
// The rules are pure functions in three stages:
//
//  1. context-free checks ([CheckHeaderSanity], [CheckTxSanity],
//     [CheckBlockSanity], [VerifySignatures]); [BatchVerifier] and
//     [CheckBlockSanityBatch] give the same answers with BIP-340 batch
//     verification, skipping txs a caller's [SigCache] already verified;
//  2. checks against the parent and the caller's clock
//     ([CheckHeaderContext], [CheckBlockContext], [MedianTime]);
//  3. the state transition ([ApplyTx], [ApplyBlock], [ApplyGenesis]) over an
//     in-memory [Accounts] map that the caller loads and stores.
//
// Every rule violation is a [RuleError] carrying an [ErrorCode]; callers match
// with errors.Is(err, RuleError{Code: X}) or [CodeOf], never on message text.
//
// It must never:
//
//   - do I/O (disk, network, logging) or read environment or configuration;
//   - read a clock: the current time is a parameter ("now" in
//     [CheckHeaderContext]);
//   - use mutable package-level state (every [Params] value is built fresh
//     by its constructor) or randomness of its own: batch verification's
//     coefficients come from the io.Reader its caller passes in, and the
//     random choice never changes an answer, only how fast it is found;
//   - import any other Cairn package. Storage, chain selection, the mempool,
//     networking and RPC build on this package, never the other way round.
//
// docs/PROTOCOL.md describes the same rules in prose for implementers of a
// compatible node; where they differ, this code is the reference.
package consensus
