package main

import (
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
	cmd := &cobra.Command{Use: "wallet", Short: "Use the node's wallet (create, address, balance, send, history, ...)",
		Long: "Use the wallet of a running node over JSON-RPC.\n\n" + envHelp,
		Example: `  cairn wallet create --network regtest --datadir /tmp/cairn-rt
  cairn wallet send rcairn1... 1.5 --network regtest --datadir /tmp/cairn-rt
  export CAIRN_NETWORK=regtest CAIRN_DATADIR=/tmp/cairn-rt; cairn wallet balance`}
	cf.register(cmd)

	cmd.AddCommand(newWalletCreateCmd(cf), newWalletRestoreCmd(cf), newWalletBackupCmd(cf), newWalletInfoCmd(cf))

	var label string
	addrCmd := &cobra.Command{
		Use: "address", Short: "Get a new receiving address", Args: cobra.NoArgs,
		Example: `  cairn wallet address
  cairn wallet address --label rent --network regtest --datadir /tmp/cairn-rt`,
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
		Example: `  cairn wallet addresses
  cairn wallet addresses --json    # balances in base units`,
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
				fmt.Fprintln(tw, "ADDRESS\tLABEL\tBALANCE ("+wallet.Unit+")")
				for _, r := range res {
					fmt.Fprintf(tw, "%v\t%v\t%s\n", r["address"], r["label"], coins(r["balance"]))
				}
				tw.Flush()
			})
		},
	})

	cmd.AddCommand(&cobra.Command{
		Use: "balance", Short: "Show confirmed and pending balance", Args: cobra.NoArgs,
		Example: `  cairn wallet balance
  cairn wallet balance --json      # base units`,
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
				fmt.Printf("confirmed  %s %s\npending    %s %s\n", coins(res["confirmed"]), wallet.Unit, coins(res["pending"]), wallet.Unit)
			})
		},
	})

	cmd.AddCommand(newWalletSendCmd(cf), newWalletWatchCmd(cf))

	var count, skip int
	histCmd := &cobra.Command{
		Use: "history", Short: "List the wallet's transactions, newest first", Args: cobra.NoArgs,
		Example: `  cairn wallet history
  cairn wallet history --count 100 --skip 20 --json`,
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
				fmt.Fprintln(tw, "TXID\tCATEGORY\tADDRESS\tAMOUNT ("+wallet.Unit+")\tFEE ("+wallet.Unit+")\tCONFIRMATIONS")
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
		Example: `  cairn wallet import 4242...42 --label old-key --passphrase-file ~/.cairn-pass`,
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
		Long: `Print an address's private key (hex). Whoever sees it can spend the address's
coins; for an HD wallet, the key together with the wallet's account xpub
gives away every address of the wallet. Back up with the recovery phrase or
cairn wallet backup instead.`,
		Example: `  cairn wallet export rcairn1... --network regtest`,
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
		Example: `  cairn wallet unlock --timeout 600
  cairn wallet unlock --passphrase-file ~/.cairn-pass`,
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
		Example: `  cairn wallet lock`,
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
