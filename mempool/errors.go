package mempool

import "fmt"

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
