package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/cairn-chain/cairn/rpc"
	"github.com/cairn-chain/cairn/wallet"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newWalletCmd) }

// unlockSeconds is how long `wallet send` unlocks the node's wallet for; it
// is locked again right after the payment.
const unlockSeconds = 60

func newWalletCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{Use: "wallet", Short: "Use the node's wallet (create, address, balance, send, history, ...)"}
	cf.register(cmd)

	cmd.AddCommand(&cobra.Command{
		Use: "create", Short: "Create an encrypted wallet in the node", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			pass, err := cf.passphrase("New wallet passphrase: ", true)
			if err != nil {
				return err
			}
			var res json.RawMessage
			if err := cl.Call(c.Context(), "createwallet", []any{string(pass)}, &res); err != nil {
				return err
			}
			return cf.print(res, func() { fmt.Println("wallet created (locked; `cairn wallet address` gives an address)") })
		},
	})

	var label string
	addrCmd := &cobra.Command{
		Use: "address", Short: "Get a new receiving address", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			var addr string
			if err := cl.Call(c.Context(), "getnewaddress", []any{label}, &addr); err != nil {
				return err
			}
			return cf.print(addr, func() { fmt.Println(addr) })
		},
	}
	addrCmd.Flags().StringVar(&label, "label", "", "label for the address")
	cmd.AddCommand(addrCmd)

	cmd.AddCommand(&cobra.Command{
		Use: "addresses", Short: "List the wallet's addresses", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			var res []map[string]any
			if err := cl.Call(c.Context(), "listaddresses", []any{}, &res); err != nil {
				return err
			}
			return cf.print(res, func() {
				tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ADDRESS\tLABEL\tBALANCE")
				for _, r := range res {
					fmt.Fprintf(tw, "%v\t%v\t%s\n", r["address"], r["label"], coins(r["balance"]))
				}
				tw.Flush()
			})
		},
	})

	cmd.AddCommand(&cobra.Command{
		Use: "balance", Short: "Show confirmed and pending balance", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			var res map[string]any
			if err := cl.Call(c.Context(), "getbalance", []any{}, &res); err != nil {
				return err
			}
			return cf.print(res, func() {
				fmt.Printf("confirmed  %s\npending    %s\n", coins(res["confirmed"]), coins(res["pending"]))
			})
		},
	})

	var fee string
	sendCmd := &cobra.Command{
		Use: "send ADDRESS AMOUNT", Short: "Send AMOUNT coins (decimal, e.g. 1.5) to ADDRESS", Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			cl, p, err := cf.client()
			if err != nil {
				return err
			}
			amount, err := wallet.ParseAmount(args[1])
			if err != nil {
				return fmt.Errorf("amount %q: %w", args[1], err)
			}
			if amount == 0 {
				return fmt.Errorf("amount must be more than 0")
			}
			params := []any{args[0], amount}
			if fee != "" {
				f, err := wallet.ParseAmount(fee)
				if err != nil {
					return fmt.Errorf("--fee %q: %w", fee, err)
				}
				params = append(params, f)
			}
			if err := checkAddress(args[0], p.AddressHRP); err != nil {
				return err
			}
			pass, err := cf.passphrase("Wallet passphrase: ", false)
			if err != nil {
				return err
			}
			if err := cl.Call(c.Context(), "walletpassphrase", []any{string(pass), unlockSeconds}, nil); err != nil {
				return err
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
			return cf.print(map[string]any{"txid": txid}, func() { fmt.Println(txid) })
		},
	}
	sendCmd.Flags().StringVar(&fee, "fee", "", "fee in coins (default: the node's estimate)")
	cmd.AddCommand(sendCmd)

	var count, skip int
	histCmd := &cobra.Command{
		Use: "history", Short: "List the wallet's transactions, newest first", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			var res []map[string]any
			if err := cl.Call(c.Context(), "listtransactions", []any{count, skip}, &res); err != nil {
				return err
			}
			return cf.print(res, func() {
				tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TXID\tCATEGORY\tADDRESS\tAMOUNT\tFEE\tCONFIRMATIONS")
				for _, r := range res {
					fmt.Fprintf(tw, "%v\t%v\t%v\t%s\t%s\t%v\n", short(r["txid"]), r["category"], r["address"], coins(r["amount"]), coins(r["fee"]), r["confirmations"])
				}
				tw.Flush()
			})
		},
	}
	histCmd.Flags().IntVar(&count, "count", 20, "how many")
	histCmd.Flags().IntVar(&skip, "skip", 0, "skip the newest N")
	cmd.AddCommand(histCmd)

	var importLabel string
	importCmd := &cobra.Command{
		Use: "import KEYHEX", Short: "Import a private key (hex)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl, pass, err := cf.clientAndPassphrase()
			if err != nil {
				return err
			}
			var addr string
			if err := cl.Call(c.Context(), "importprivkey", []any{args[0], string(pass), importLabel}, &addr); err != nil {
				return err
			}
			return cf.print(addr, func() { fmt.Println(addr) })
		},
	}
	importCmd.Flags().StringVar(&importLabel, "label", "", "label for the address")
	cmd.AddCommand(importCmd)

	cmd.AddCommand(&cobra.Command{
		Use: "export ADDRESS", Short: "Print an address's private key (hex)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl, pass, err := cf.clientAndPassphrase()
			if err != nil {
				return err
			}
			var key string
			if err := cl.Call(c.Context(), "dumpprivkey", []any{args[0], string(pass)}, &key); err != nil {
				return err
			}
			return cf.print(key, func() { fmt.Println(key) })
		},
	})

	var unlockFor int
	unlockCmd := &cobra.Command{
		Use: "unlock", Short: "Unlock the node's wallet for a while", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, pass, err := cf.clientAndPassphrase()
			if err != nil {
				return err
			}
			return cl.Call(c.Context(), "walletpassphrase", []any{string(pass), unlockFor}, nil)
		},
	}
	unlockCmd.Flags().IntVar(&unlockFor, "timeout", 300, "seconds until it locks again")
	cmd.AddCommand(unlockCmd)
	cmd.AddCommand(&cobra.Command{
		Use: "lock", Short: "Lock the node's wallet now", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			return cl.Call(c.Context(), "walletlock", []any{}, nil)
		},
	})
	return cmd
}

// clientAndPassphrase connects to the node, then reads the wallet passphrase:
// a node that is down or on another network is reported before any prompt.
func (cf *clientFlags) clientAndPassphrase() (*rpc.Client, []byte, error) {
	cl, _, err := cf.client()
	if err != nil {
		return nil, nil, err
	}
	pass, err := cf.passphrase("Wallet passphrase: ", false)
	if err != nil {
		return nil, nil, err
	}
	return cl, pass, nil
}
