package rpc

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/wallet"
)

// JSON-RPC 2.0 error codes.
const (
	CodeParseError     = -32700 // body is not valid JSON
	CodeInvalidRequest = -32600 // not a valid request object, empty or oversized batch, body too large
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602 // wrong count or type, bad hash, bad address, negative number
	CodeInternal       = -32603 // storage failure, recovered panic, server busy
	CodeUnauthorized   = -32001 // body of an HTTP 401: missing or wrong credentials
)

// Application error codes. The numbers follow bitcoind's where it has one.
const (
	CodeMisc              = -1  // other failure, e.g. no miner configured, addnode failed
	CodeWallet            = -4  // other wallet failure: unknown address, wallet exists, bad key
	CodeNotFound          = -5  // unknown block or transaction
	CodeInsufficientFunds = -6  // no single wallet address covers amount + fee
	CodeInvalidParameter  = -8  // well-typed but out of range: height above tip, verbosity 3
	CodeP2PDisabled       = -9  // the node runs without networking
	CodeWalletLocked      = -13 // unlock with walletpassphrase first
	CodeWrongPassphrase   = -14
	CodeNoWallet          = -18 // createwallet first (or the node runs without a wallet)
	CodeDecode            = -22 // raw tx or block does not decode (not hex, malformed, over the decoder's size limit); data is RejectData
	CodeRejected          = -25 // breaks a consensus rule; data is RejectData
	CodeMempoolRejected   = -26 // refused by pool policy; data is RejectData
	CodeNodeNotConnected  = -29 // disconnectnode: no such peer
	CodeNotAllowed        = -32 // method not allowed on this network (generatetoaddress on main)
)

// codeText is how help describes each application code.
var codeText = map[int]string{
	CodeMisc:              "other failure",
	CodeWallet:            "other wallet failure",
	CodeNotFound:          "not found",
	CodeInsufficientFunds: "insufficient funds",
	CodeInvalidParameter:  "out of range",
	CodeP2PDisabled:       "networking disabled",
	CodeWalletLocked:      "wallet locked",
	CodeWrongPassphrase:   "wrong passphrase",
	CodeNoWallet:          "no wallet",
	CodeDecode:            "does not decode",
	CodeRejected:          "breaks a consensus rule",
	CodeMempoolRejected:   "refused by mempool policy",
	CodeNodeNotConnected:  "not connected",
	CodeNotAllowed:        "not allowed on this network",
}

// Error is a JSON-RPC error object. Call returns it for every error the
// node reports, so callers can switch on Code.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// RejectData is the data of CodeDecode, CodeRejected and CodeMempoolRejected
// errors: the consensus.ErrorCode or mempool.ErrorCode name, e.g.
// "ErrBadMerkleRoot" or "ErrNonceTooLow", and the rule's explanation.
type RejectData struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

func newError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParams(format string, args ...any) *Error {
	return newError(CodeInvalidParams, "invalid params: "+format, args...)
}

func invalidParameter(format string, args ...any) *Error {
	return newError(CodeInvalidParameter, format, args...)
}

func notFound(format string, args ...any) *Error { return newError(CodeNotFound, format, args...) }

func withData(e *Error, code, reason string) *Error {
	// RejectData always marshals.
	e.Data, _ = json.Marshal(RejectData{Code: code, Reason: reason})
	return e
}

// rejection maps a consensus or pool refusal of a tx or block to its error;
// it returns nil for anything else (a storage failure).
func rejection(what string, err error) *Error {
	var pe mempool.Error
	if errors.As(err, &pe) {
		return withData(newError(CodeMempoolRejected, "%s rejected by mempool policy: %s: %s", what, pe.Code, pe.Msg), pe.Code.String(), pe.Msg)
	}
	var re consensus.RuleError
	if errors.As(err, &re) {
		code := CodeRejected
		if re.Code == consensus.ErrDecode {
			code = CodeDecode
		}
		return withData(newError(code, "%s rejected: %s: %s", what, re.Code, re.Msg), re.Code.String(), re.Msg)
	}
	return nil
}

// decodeFailure maps an error from a consensus decoder to CodeDecode,
// whatever its rule code: a tx over MaxTxSize (ErrTxTooBig) cannot be
// decoded either. The data keeps the decoder's code.
func decodeFailure(what string, err error) *Error {
	code, reason := consensus.ErrDecode.String(), err.Error()
	var re consensus.RuleError
	if errors.As(err, &re) {
		code, reason = re.Code.String(), re.Msg
	}
	return notDecoded(what, code, reason)
}

func notDecoded(what, code, reason string) *Error {
	return withData(newError(CodeDecode, "%s does not decode: %s: %s", what, code, reason), code, reason)
}

// walletError maps wallet errors; unknown ones are CodeWallet since the
// wallet's messages already tell the user what to do.
func walletError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, wallet.ErrLocked):
		return newError(CodeWalletLocked, "%v: call walletpassphrase first", err)
	case errors.Is(err, wallet.ErrWrongPassphrase):
		return newError(CodeWrongPassphrase, "%v", err)
	case errors.Is(err, wallet.ErrNoWallet):
		return newError(CodeNoWallet, "%v: call createwallet first", err)
	case errors.Is(err, wallet.ErrInsufficientFunds):
		return newError(CodeInsufficientFunds, "%v", err)
	}
	return newError(CodeWallet, "%v", err)
}
