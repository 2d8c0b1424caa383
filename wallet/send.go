package wallet

import (
	"fmt"
	"math"

	"github.com/cairn-chain/cairn/consensus"
)

// ChainView is what BuildSend needs from the node.
type ChainView interface {
	Account(addr consensus.Address) (consensus.Account, error) // confirmed state at tip
	NextNonce(addr consensus.Address) (uint64, error)          // account nonce + pool txs
	PendingSpend(addr consensus.Address) uint64                // amount+fee of sender's pool txs
}

// BuildSend signs a transfer of amount to to, paying fee, from the wallet
// address with the most spendable coins (confirmed balance minus pending
// spends) that covers amount+fee. A transfer spends from one address, so
// balances are not combined. Errors: ErrLocked, ErrInsufficientFunds (an
// *InsufficientFundsError).
func (w *Wallet) BuildSend(view ChainView, to consensus.Address, amount, fee uint64, memo []byte) (*consensus.Tx, error) {
	return w.buildSend(view, nil, to, amount, fee, false, memo)
}

// BuildSendFrom is BuildSend spending from one given wallet address
// (ErrUnknownAddress if it is not the wallet's).
func (w *Wallet) BuildSendFrom(view ChainView, from, to consensus.Address, amount, fee uint64, memo []byte) (*consensus.Tx, error) {
	return w.buildSend(view, &from, to, amount, fee, false, memo)
}

// BuildSendAll signs a transfer of the whole spendable balance of one
// wallet address, less fee, to to: the address from, or when from is nil
// the one with the most spendable coins (bitcoin-cli's send with
// subtractfeefromamount, for an account). ErrInsufficientFunds when that
// balance does not exceed the fee.
func (w *Wallet) BuildSendAll(view ChainView, from *consensus.Address, to consensus.Address, fee uint64, memo []byte) (*consensus.Tx, error) {
	return w.buildSend(view, from, to, 0, fee, true, memo)
}

func (w *Wallet) buildSend(view ChainView, only *consensus.Address, to consensus.Address, amount, fee uint64, all bool, memo []byte) (*consensus.Tx, error) {
	tx, err := w.newTransfer(to, amount, fee, memo) // checks overflow, fee and memo
	if err != nil {
		return nil, err
	}
	if only != nil && !w.Has(*only) {
		return nil, fmt.Errorf("--from %s: %w", only.Encode(w.params.AddressHRP), ErrUnknownAddress)
	}
	if w.IsLocked() {
		return nil, ErrLocked
	}
	need := amount + fee
	var (
		from        consensus.Address
		best, total uint64
		found       bool
	)
	for _, a := range w.Addresses() {
		if only != nil && a.Address != *only {
			continue
		}
		acct, err := view.Account(a.Address)
		if err != nil {
			return nil, fmt.Errorf("look up balance of %s: %w", a.Address.Encode(w.params.AddressHRP), err)
		}
		avail := acct.Balance - min(acct.Balance, view.PendingSpend(a.Address))
		if total+avail < total {
			total = math.MaxUint64
		} else {
			total += avail
		}
		if !found || avail > best {
			from, best, found = a.Address, avail, true
		}
	}
	if all {
		// Everything but the fee; at least one base unit must go out.
		if best <= fee {
			return nil, &sendAllError{fee: fee, avail: best, from: only != nil}
		}
		amount = best - fee
		tx.Amount = amount
	} else if best < need {
		return nil, &InsufficientFundsError{Needed: need, Available: best, Total: total, From: only != nil}
	}
	if tx.Nonce, err = view.NextNonce(from); err != nil {
		return nil, fmt.Errorf("look up next nonce of %s: %w", from.Encode(w.params.AddressHRP), err)
	}
	if err := w.sign(from, tx); err != nil {
		return nil, err
	}
	w.log.Info("transfer signed", "from", from.Encode(w.params.AddressHRP),
		"to", to.Encode(w.params.AddressHRP), "amount", FormatAmount(amount), "fee", FormatAmount(fee), "nonce", tx.Nonce)
	return tx, nil
}

// sendAllError is a send-all whose address cannot pay more than the fee.
// It matches ErrInsufficientFunds.
type sendAllError struct {
	fee, avail uint64
	from       bool // the sender was chosen by the caller
}

func (e *sendAllError) Error() string {
	who := "the best address"
	if e.from {
		who = "the --from address"
	}
	return fmt.Sprintf("insufficient funds: sending all needs more than the fee %s, %s has %s spendable",
		FormatCoins(e.fee), who, FormatCoins(e.avail))
}

func (e *sendAllError) Is(target error) bool { return target == ErrInsufficientFunds }
