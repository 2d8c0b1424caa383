package mempool

import (
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
)

// ErrorCode identifies why the pool refused a transaction that may be valid
// by consensus. Consensus failures are returned as consensus.RuleError.
type ErrorCode int

// Pool policy codes. Append only: RPC reports the numbers.
const (
	ErrAlreadyKnown           ErrorCode = iota + 1 // the same tx id is in the pool
	ErrNonceTooLow                                 // nonce below the account nonce (already used)
	ErrNonceTooHigh                                // nonce too far beyond the next usable one
	ErrReplacementUnderpriced                      // same sender+nonce with too small a fee bump
	ErrPoolFull                                    // the tx would be the first to be evicted
	ErrSenderLimit                                 // sender has too many pool (or queued) txs
	ErrTooBig                                      // encoding exceeds consensus.MaxTxSize
	ErrFeeBelowRelay                               // fee below the node's relay minimum
	ErrQueueFull                                   // gapped txs are at their global cap and this one pays no more than the cheapest
)

var codeNames = map[ErrorCode]string{
	ErrAlreadyKnown:           "ErrAlreadyKnown",
	ErrNonceTooLow:            "ErrNonceTooLow",
	ErrNonceTooHigh:           "ErrNonceTooHigh",
	ErrReplacementUnderpriced: "ErrReplacementUnderpriced",
	ErrPoolFull:               "ErrPoolFull",
	ErrSenderLimit:            "ErrSenderLimit",
	ErrTooBig:                 "ErrTooBig",
	ErrFeeBelowRelay:          "ErrFeeBelowRelay",
	ErrQueueFull:              "ErrQueueFull",
}

// String returns the constant's name, e.g. "ErrPoolFull".
func (c ErrorCode) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// Error is a pool policy rejection.
type Error struct {
	Code ErrorCode
	Msg  string
}

func (e Error) Error() string { return "mempool: " + e.Code.String() + ": " + e.Msg }

// Is lets errors.Is(err, Error{Code: X}) match on the code alone.
func (e Error) Is(target error) bool {
	t, ok := target.(Error)
	return ok && t.Code == e.Code
}

func poolErr(code ErrorCode, format string, args ...any) error {
	return Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// RecentlyRejectedError is returned, without checking tx again, for a tx id
// the pool refused earlier at the current tip for a reason that cannot change
// before the tip does (see Config.RejectCacheSize). Unwrap yields an error
// with the first refusal's code, a consensus.RuleError or an Error, so
// consensus.CodeOf, errors.Is and errors.As report the same code as the first
// time and callers that penalise peers by code behave the same.
type RecentlyRejectedError struct {
	ID  consensus.Hash
	err error
}

func (e RecentlyRejectedError) Error() string {
	return fmt.Sprintf("mempool: tx %s recently rejected: %v", e.ID, e.err)
}

// Unwrap returns the refusal with the original code.
func (e RecentlyRejectedError) Unwrap() error { return e.err }
