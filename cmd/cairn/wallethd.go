package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cairn-chain/cairn/wallet"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// confirmWords is how many words of the recovery phrase `wallet create`
// asks the user to type back.
const confirmWords = 3

func newWalletCreateCmd(cf *clientFlags) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an encrypted HD wallet in the node and show its recovery phrase once",
		Long: fmt.Sprintf(`Create the node's wallet: an HD wallet whose keys all come from a
%d-word recovery phrase (BIP-39), shown once. Write it down: with it,
cairn wallet restore brings back the wallet's addresses and coins on any node.
Then type %d of its words back to confirm (skip with --yes in scripts; with
--json the phrase is in the output and nothing is asked).

The passphrase (at least %d characters) encrypts the wallet file on the node.`,
			wallet.MnemonicWords, confirmWords, wallet.MinPassphraseLen),
		Example: `  cairn wallet create
  cairn wallet create --network regtest --datadir /tmp/cairn-rt --passphrase-file /tmp/pass --yes
  cairn wallet create --json --passphrase-file pass.txt > wallet-created.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			pass, err := cf.passphrase("New wallet passphrase: ", true)
			if err != nil {
				return err
			}
			if err := wallet.CheckNewPassphrase(pass); err != nil {
				return err
			}
			var res struct {
				Mnemonic    string `json:"mnemonic"`
				AccountPath string `json:"accountpath"`
			}
			var raw json.RawMessage
			if err := cl.Call(c.Context(), "createwallet", []any{string(pass)}, &raw); err != nil {
				return err
			}
			if cf.json {
				return printJSON(raw)
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return fmt.Errorf("createwallet: %w", err)
			}
			if res.Mnemonic == "" {
				fmt.Println("wallet created (locked, random keys: back it up with `cairn wallet backup FILE`)")
				return nil
			}
			showMnemonic(os.Stdout, res.Mnemonic, res.AccountPath)
			if yes {
				fmt.Println("wallet created (locked). `cairn wallet address` gives an address.")
				return nil
			}
			if err := confirmMnemonic(os.Stdin, os.Stderr, res.Mnemonic); err != nil {
				return fmt.Errorf("the wallet is created and its recovery phrase is shown above, but %w", err)
			}
			fmt.Println("recovery phrase confirmed; wallet created (locked). `cairn wallet address` gives an address.")
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask to type words of the recovery phrase back (scripts)")
	cmd.Flags().BoolVar(&yes, "no-confirm", false, "same as --yes")
	return cmd
}

// showMnemonic prints the phrase as a numbered grid, so words are easy to
// copy and to find when asked for "word 7".
func showMnemonic(w io.Writer, m, path string) {
	words := strings.Fields(m)
	fmt.Fprintf(w, "Recovery phrase (BIP-39, %d words; keys on %s/0/i). Write it down on paper, in order;\n", len(words), path)
	fmt.Fprintln(w, "anyone who has it owns the coins, and it is not shown again:")
	fmt.Fprintln(w)
	rows := (len(words) + 3) / 4
	for r := range rows {
		for col := range 4 {
			if i := col*rows + r; i < len(words) {
				fmt.Fprintf(w, "  %2d. %-10s", i+1, words[i])
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// confirmMnemonic asks for confirmWords random words of m (three tries
// each), reading lines from in.
func confirmMnemonic(in io.Reader, out io.Writer, m string) error {
	words := strings.Fields(m)
	picks := map[int]bool{}
	for len(picks) < min(confirmWords, len(words)) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
		if err != nil {
			return err
		}
		picks[int(n.Int64())] = true
	}
	order := make([]int, 0, len(picks))
	for i := range picks {
		order = append(order, i)
	}
	sort.Ints(order)
	sc := bufio.NewScanner(in)
	fmt.Fprintf(out, "To check your copy, type the words it asks for (or rerun with --yes to skip).\n")
	for _, i := range order {
		ok := false
		for try := 0; try < 3 && !ok; try++ {
			fmt.Fprintf(out, "word #%d: ", i+1)
			if !sc.Scan() {
				fmt.Fprintln(out)
				return errors.New("it was not confirmed (no input): in scripts, pass --yes and keep the phrase from the output")
			}
			ok = strings.EqualFold(strings.TrimSpace(sc.Text()), words[i])
			if !ok {
				fmt.Fprintln(out, "that is not it; check your copy")
			}
		}
		if !ok {
			return fmt.Errorf("word #%d was typed wrong three times: copy the phrase again from above", i+1)
		}
	}
	return nil
}

func newWalletRestoreCmd(cf *clientFlags) *cobra.Command {
	var mnemonicFile string
	var gap int
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Create the node's wallet from a recovery phrase and find its used addresses",
		Long: fmt.Sprintf(`Create the node's wallet from a BIP-39 recovery phrase (as cairn wallet create
showed it). The node derives the wallet's addresses in order and looks each
up in its address index, stopping after --gap-limit unused addresses in a
row (default %d); every address up to the last used one is back, with its
coins. The node must have synced the chain the coins are on.

The phrase is read from --mnemonic-file, or typed on the terminal (not echoed),
or from standard input; never pass it as an argument (shell history).
Labels are not in the phrase: restore them from a cairn wallet backup file.`, wallet.DefaultGapLimit),
		Example: `  cairn wallet restore
  cairn wallet restore --mnemonic-file phrase.txt --passphrase-file pass.txt --network regtest
  cairn wallet restore --gap-limit 100    # the wallet handed out many unused addresses`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			m, err := readMnemonic(mnemonicFile)
			if err != nil {
				return err
			}
			if m, err = wallet.NormalizeMnemonic(m); err != nil {
				return err
			}
			pass, err := cf.passphrase("New wallet passphrase: ", true)
			if err != nil {
				return err
			}
			if err := wallet.CheckNewPassphrase(pass); err != nil {
				return err
			}
			var res struct {
				Used      int    `json:"used"`
				Scanned   int    `json:"scanned"`
				NextIndex uint32 `json:"nextindex"`
			}
			if err := cl.Call(c.Context(), "restorewallet", []any{m, string(pass), gap}, &res); err != nil {
				return err
			}
			return cf.print(res, func() {
				fmt.Printf("wallet restored (locked): %d addresses up to the last used one (%d looked up, gap limit %d)\n",
					res.Used, res.Scanned, gap)
			})
		},
	}
	cmd.Flags().StringVar(&mnemonicFile, "mnemonic-file", "", "read the recovery phrase from this file")
	cmd.Flags().IntVar(&gap, "gap-limit", wallet.DefaultGapLimit, "stop after this many unused addresses in a row")
	return cmd
}

// readMnemonic reads the phrase from a file, the terminal (no echo) or a pipe.
func readMnemonic(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--mnemonic-file: %w", err)
		}
		return string(b), nil
	}
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, "Recovery phrase (words separated by spaces): ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", fmt.Errorf("read recovery phrase: %w", err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(os.Stdin, 4096))
	if err != nil {
		return "", fmt.Errorf("read recovery phrase from standard input: %w", err)
	}
	return string(b), nil
}

func newWalletBackupCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a copy of the encrypted wallet file, atomically",
		Long: `Write a copy of the node's wallet file, encrypted as it is (it opens with
the same passphrase), to FILE. The node writes it: FILE is a path on the
node's machine, made absolute here. A temporary file is synced and renamed
over FILE, so an interrupted backup never leaves a half-written one.
Unlike the recovery phrase, a backup also keeps labels and imported keys.`,
		Example: `  cairn wallet backup /media/usb/cairn-wallet.json
  cairn wallet backup ./wallet-$(date +%F).json --network regtest`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dst, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			var res map[string]string
			if err := cl.Call(c.Context(), "backupwallet", []any{dst}, &res); err != nil {
				return err
			}
			return cf.print(res, func() {
				fmt.Printf("wallet backed up to %s (encrypted: it opens with the wallet passphrase)\n", res["file"])
			})
		},
	}
}

func newWalletInfoCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the wallet's kind (HD or not), derivation path and lock state",
		Example: `  cairn wallet info
  cairn wallet info --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			var res struct {
				HD            bool   `json:"hd"`
				AccountPath   string `json:"accountpath"`
				AccountXpub   string `json:"accountxpub"`
				NextIndex     uint32 `json:"nextindex"`
				Addresses     int    `json:"addresses"`
				Keypool       int    `json:"keypool"`
				Locked        bool   `json:"locked"`
				UnlockedUntil int64  `json:"unlockeduntil"`
			}
			if err := cl.Call(c.Context(), "getwalletinfo", []any{}, &res); err != nil {
				return err
			}
			return cf.print(res, func() {
				if res.HD {
					fmt.Printf("kind       HD (recovery phrase), addresses at %s/0/i, next i = %d\n", res.AccountPath, res.NextIndex)
					fmt.Printf("xpub       %s\n", res.AccountXpub)
				} else {
					fmt.Printf("kind       random keys (no recovery phrase: back up with cairn wallet backup), keypool %d\n", res.Keypool)
				}
				fmt.Printf("addresses  %d\nlocked     %v\n", res.Addresses, res.Locked)
			})
		},
	}
}
