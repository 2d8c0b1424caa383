package wallet

import (
	"fmt"

	"github.com/cairn-chain/cairn/consensus"
)

// Error is the type of the wallet's sentinel errors. Match them with
// errors.Is; the text tells a person what to do next.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// Sentinel errors. Returned errors wrap them with detail (path, address).
var (
	ErrLocked            = &Error{"wallet is locked: run `cairn wallet unlock` or pass --passphrase-file"}
	ErrWrongPassphrase   = &Error{"wrong wallet passphrase: check it and try again (case and whitespace matter)"}
	ErrNoWallet          = &Error{"no wallet found: create one first, or point --datadir at the directory that holds wallet.json"}
	ErrWalletExists      = &Error{"a wallet already exists: use it (every wallet command opens it), back it up with `cairn wallet backup`, or choose another --datadir for a new one"}
	ErrUnknownAddress    = &Error{"address is not in this wallet: use one of the wallet's own addresses (import its key first if you have it)"}
	ErrWrongNetwork      = &Error{"wallet belongs to another network: run with that wallet's --network, or use another --datadir"}
	ErrInsufficientFunds = &Error{"insufficient funds: wait for incoming payments to confirm, or lower the amount or fee"}
	ErrClosed            = &Error{"wallet is closed: open it again"}
	ErrBadMnemonic       = &Error{"invalid recovery phrase: check every word against what you wrote down"}
	ErrShortPassphrase   = &Error{fmt.Sprintf("passphrase is too short: use at least %d characters (a few random words are best); it encrypts the keys on disk", MinPassphraseLen)}
)

// InsufficientFundsError says how much a send needed and how much the best
// single address could spend. It matches ErrInsufficientFunds.
type InsufficientFundsError struct {
	Needed    uint64 // amount + fee, base units
	Available uint64 // largest spendable balance of one address
	Total     uint64 // spendable across all addresses (or of the --from address)
	From      bool   // the sender was chosen by the caller
}

func (e *InsufficientFundsError) Error() string {
	if e.From {
		return fmt.Sprintf("insufficient funds: need %s (amount + fee), the --from address has %s spendable: "+
			"wait for incoming payments to confirm, lower the amount or fee, or send from another address",
			FormatCoins(e.Needed), FormatCoins(e.Available))
	}
	msg := fmt.Sprintf("insufficient funds: need %s (amount + fee), the best address has %s spendable",
		FormatCoins(e.Needed), FormatCoins(e.Available))
	if e.Total >= e.Needed {
		// An account-model tx spends from exactly one address.
		msg += fmt.Sprintf(" (%s across all addresses, but a transfer spends from one address: consolidate first)",
			FormatCoins(e.Total))
		return msg
	}
	return msg + ": wait for incoming payments to confirm, or lower the amount or fee"
}

// Is makes errors.Is(err, ErrInsufficientFunds) true.
func (e *InsufficientFundsError) Is(target error) bool { return target == ErrInsufficientFunds }

// networkError names both networks; it matches ErrWrongNetwork.
type networkError struct {
	path, name, want string
	id, wantID       uint32
}

func (e *networkError) Error() string {
	return fmt.Sprintf("%s: wallet belongs to network %q (chain id %#x), not %q (chain id %#x): run with the wallet's --network, or use another --datadir",
		e.path, e.name, e.id, e.want, e.wantID)
}

func (e *networkError) Is(target error) bool { return target == ErrWrongNetwork }

func wrongNetwork(path, name string, id uint32, p *consensus.Params) error {
	return &networkError{path: path, name: name, id: id, want: p.Name, wantID: p.ChainID}
}
