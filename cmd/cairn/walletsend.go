package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cairn-chain/cairn/wallet"
	"github.com/spf13/cobra"
)

// maxFeePercent is the share of the amount above which `wallet send`
// refuses a fee unless --force: a fee typed in the amount's place, or an
// estimate during a fee spike, should not go out unnoticed.
const maxFeePercent = 10

func newWalletSendCmd(cf *clientFlags) *cobra.Command {
	var fee, from string
	var force bool
	cmd := &cobra.Command{
		Use:   "send ADDRESS AMOUNT|all",
		Short: "Send AMOUNT coins (decimal, e.g. 1.5), or all of one address, to ADDRESS",
		Long: fmt.Sprintf(`Send AMOUNT %[1]s (a decimal such as 1.5; the smallest unit is 0.00000001)
to ADDRESS. The fee is --fee %[1]s, or the node's estimate (estimatefee); a fee
above %[2]d%% of the amount is refused unless --force. The payment spends from
one wallet address: --from, or the one with the most spendable coins. The
wallet is unlocked for the payment and locked again right after.

AMOUNT "all" sends that address's whole spendable balance less the fee (the
fee comes off the amount, as bitcoin-cli's subtractfeefromamount), so the
address ends at 0 once the payment is mined; it is refused if the balance does
not exceed the fee. For all, the fee guard is checked against the address's
confirmed balance before sending.

Prints the txid on standard output (a summary in %[1]s goes to standard error);
--json prints {txid, to, from, amount, fee} with amounts in base units.`, wallet.Unit, maxFeePercent),
		Example: `  cairn wallet send rcairn1qxy... 1.5
  cairn wallet send rcairn1qxy... 0.25 --fee 0.0001 --from rcairn1qab...
  cairn wallet send rcairn1qxy... all --from rcairn1qab...   # empty that address
  TXID=$(cairn wallet send "$B" 2 --passphrase-file /tmp/pass --network regtest)`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			cl, p, err := cf.client()
			if err != nil {
				return err
			}
			all := args[1] == "all"
			var amount uint64
			if !all {
				if amount, err = wallet.ParseAmount(args[1]); err != nil {
					return fmt.Errorf("amount %q: %w (or \"all\")", args[1], err)
				}
				if amount == 0 {
					return fmt.Errorf("amount must be more than 0")
				}
			}
			if err := checkAddress(args[0], p.AddressHRP); err != nil {
				return err
			}
			if from != "" {
				if err := checkAddress(from, p.AddressHRP); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			var f uint64
			if fee != "" {
				if f, err = wallet.ParseAmount(fee); err != nil {
					return fmt.Errorf("--fee %q: %w", fee, err)
				}
				if f < p.MinTxFee {
					return fmt.Errorf("--fee %s is below the network minimum %s", wallet.FormatCoins(f), wallet.FormatCoins(p.MinTxFee))
				}
			} else if err := cl.Call(c.Context(), "estimatefee", []any{}, &f); err != nil {
				return fmt.Errorf("estimate the fee (or pass --fee): %w", err)
			}
			if all && !force {
				// The node picks the amount; the confirmed balance bounds it.
				bal, err := sendAllBalance(c.Context(), cl, from)
				if err != nil {
					return err
				}
				if bal > f && f > feeLimit(bal-f) {
					return fmt.Errorf("the fee %s is more than %d%% of the %s left to send: check --fee, or pass --force to pay it",
						wallet.FormatCoins(f), maxFeePercent, wallet.FormatCoins(bal-f))
				}
			}
			if !all && !force && f > feeLimit(amount) {
				return fmt.Errorf("the fee %s is more than %d%% of the amount %s: check --fee and AMOUNT, or pass --force to pay it",
					wallet.FormatCoins(f), maxFeePercent, wallet.FormatCoins(amount))
			}
			pass, err := cf.passphrase("Wallet passphrase: ", false)
			if err != nil {
				return err
			}
			if err := cl.Call(c.Context(), "walletpassphrase", []any{string(pass), unlockSeconds}, nil); err != nil {
				return err
			}
			params := []any{args[0], amount, f}
			if all {
				params[1] = "all"
			}
			if from != "" {
				params = append(params, from)
			}
			var txid string
			sendErr := cl.Call(c.Context(), "sendtoaddress", params, &txid)
			lockErr := cl.Call(c.Context(), "walletlock", []any{}, nil)
			if sendErr != nil {
				return sendErr
			}
			if lockErr != nil {
				return fmt.Errorf("payment %s sent, but locking the wallet failed: %w", txid, lockErr)
			}
			if all {
				// The amount was the node's to pick: read it back.
				var tx struct {
					From   string `json:"from"`
					Amount uint64 `json:"amount"`
				}
				if err := cl.Call(c.Context(), "gettransaction", []any{txid}, &tx); err != nil {
					return fmt.Errorf("payment %s sent, but reading it back failed: %w", txid, err)
				}
				amount, from = tx.Amount, tx.From
			}
			out := map[string]any{"txid": txid, "to": args[0], "amount": amount, "fee": f}
			if from != "" {
				out["from"] = from
			}
			return cf.print(out, func() {
				fmt.Fprintf(os.Stderr, "sent %s to %s, fee %s\n", wallet.FormatCoins(amount), args[0], wallet.FormatCoins(f))
				fmt.Println(txid)
			})
		},
	}
	cmd.Flags().StringVar(&fee, "fee", "", "fee in "+wallet.Unit+" (default: the node's estimate)")
	cmd.Flags().StringVar(&from, "from", "", "spend from this wallet address (default: the one with the most spendable coins)")
	cmd.Flags().BoolVar(&force, "force", false, fmt.Sprintf("pay a fee above %d%% of the amount", maxFeePercent))
	return cmd
}

// sendAllBalance is the confirmed balance of the address a send-all spends
// from: from, or the wallet's richest. Pending spends can only lower what
// the node then sends: a fee refused on this bound would be refused on the
// exact amount too, and the summary prints the amount actually sent.
func sendAllBalance(ctx context.Context, cl rpcCaller, from string) (uint64, error) {
	var rows []struct {
		Address string `json:"address"`
		Balance uint64 `json:"balance"`
	}
	if err := cl.Call(ctx, "listaddresses", []any{}, &rows); err != nil {
		return 0, err
	}
	var best uint64
	for _, r := range rows {
		if (from == "" || r.Address == from) && r.Balance > best {
			best = r.Balance
		}
	}
	return best, nil
}

// feeLimit is maxFeePercent of amount, without overflowing near MaxUint64.
func feeLimit(amount uint64) uint64 {
	return amount/100*maxFeePercent + amount%100*maxFeePercent/100
}
