package consensus

import "fmt"

// ErrorCode identifies a consensus rule. Tests and callers match on the code,
// never on the message text.
type ErrorCode int

// One constant per rule. The numbering is part of the RPC surface (submitblock
// and sendrawtransaction report it), so append only.
const (
	ErrDecode               ErrorCode = iota + 1 // malformed encoding
	ErrBlockTooBig                               // serialized block exceeds MaxBlockSize
	ErrTooManyTxs                                // more transactions than MaxBlockTxs
	ErrNoTxs                                     // block has no coinbase
	ErrBadMerkleRoot                             // header merkle root does not commit to the txs
	ErrDuplicateTx                               // the same tx id twice in one block
	ErrHighHash                                  // block hash above its target
	ErrBadTargetLimit                            // target above the network's PoW limit, zero or malformed
	ErrBadDifficulty                             // compact target differs from ASERT's
	ErrTimeTooOld                                // timestamp <= median of the previous 11
	ErrTimeTooNew                                // timestamp too far ahead of the local clock
	ErrBadVersion                                // unsupported block or tx version
	ErrBadCoinbase                               // first tx is not a coinbase, or coinbase fields wrong
	ErrMultipleCoinbase                          // a coinbase that is not the first tx
	ErrBadCoinbaseValue                          // coinbase pays more or less than subsidy + fees
	ErrWrongChainID                              // tx signed for another network
	ErrBadSignature                              // Schnorr signature does not verify
	ErrBadPubKey                                 // public key is not a valid x-only key
	ErrBadNonce                                  // nonce != account nonce (gap or replay)
	ErrInsufficientFunds                         // balance < amount + fee
	ErrOverflow                                  // amount + fee or a balance overflows uint64
	ErrFeeTooLow                                 // fee below the network minimum
	ErrMemoTooLong                               // memo longer than MaxMemoSize
	ErrTxTooBig                                  // serialized tx exceeds MaxTxSize
	ErrUnknownParent                             // parent header not known (orphan)
	ErrBadHeight                                 // coinbase height does not match the block height
	ErrInvalidAncestor                           // block builds on a block known to be invalid
	ErrGenesis                                   // genesis block mismatch
	ErrHeaderLink                                // a header does not follow the one before it
	ErrCheckpointMismatch                        // block hash differs from the network's checkpoint at its height
	ErrForkBeforeCheckpoint                      // block forks off the main chain below the last checkpoint
)

var codeNames = map[ErrorCode]string{
	ErrDecode:               "ErrDecode",
	ErrBlockTooBig:          "ErrBlockTooBig",
	ErrTooManyTxs:           "ErrTooManyTxs",
	ErrNoTxs:                "ErrNoTxs",
	ErrBadMerkleRoot:        "ErrBadMerkleRoot",
	ErrDuplicateTx:          "ErrDuplicateTx",
	ErrHighHash:             "ErrHighHash",
	ErrBadTargetLimit:       "ErrBadTargetLimit",
	ErrBadDifficulty:        "ErrBadDifficulty",
	ErrTimeTooOld:           "ErrTimeTooOld",
	ErrTimeTooNew:           "ErrTimeTooNew",
	ErrBadVersion:           "ErrBadVersion",
	ErrBadCoinbase:          "ErrBadCoinbase",
	ErrMultipleCoinbase:     "ErrMultipleCoinbase",
	ErrBadCoinbaseValue:     "ErrBadCoinbaseValue",
	ErrWrongChainID:         "ErrWrongChainID",
	ErrBadSignature:         "ErrBadSignature",
	ErrBadPubKey:            "ErrBadPubKey",
	ErrBadNonce:             "ErrBadNonce",
	ErrInsufficientFunds:    "ErrInsufficientFunds",
	ErrOverflow:             "ErrOverflow",
	ErrFeeTooLow:            "ErrFeeTooLow",
	ErrMemoTooLong:          "ErrMemoTooLong",
	ErrTxTooBig:             "ErrTxTooBig",
	ErrUnknownParent:        "ErrUnknownParent",
	ErrBadHeight:            "ErrBadHeight",
	ErrInvalidAncestor:      "ErrInvalidAncestor",
	ErrGenesis:              "ErrGenesis",
	ErrHeaderLink:           "ErrHeaderLink",
	ErrCheckpointMismatch:   "ErrCheckpointMismatch",
	ErrForkBeforeCheckpoint: "ErrForkBeforeCheckpoint",
}

// String returns the constant's name, e.g. "ErrBadNonce".
func (c ErrorCode) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// RuleError is returned when data breaks a consensus rule. The data is invalid
// whoever sends it; a peer that sends it may be penalised.
type RuleError struct {
	Code ErrorCode
	Msg  string
}

func (e RuleError) Error() string { return e.Code.String() + ": " + e.Msg }

// Is lets errors.Is(err, RuleError{Code: X}) match on the code alone.
func (e RuleError) Is(target error) bool {
	t, ok := target.(RuleError)
	return ok && t.Code == e.Code
}

func ruleErr(code ErrorCode, format string, args ...any) error {
	return RuleError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the rule code in err's chain, or 0 if err is not a RuleError.
func CodeOf(err error) ErrorCode {
	for err != nil {
		if re, ok := err.(RuleError); ok {
			return re.Code
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return 0
		}
		err = u.Unwrap()
	}
	return 0
}
