package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/testnet"
	"github.com/spf13/cobra"
)

// Commands that reach one node of a testnet without its four flags.
func newTestnetNodeTools(tf *testnetFlags) []*cobra.Command {
	rpcCmd := &cobra.Command{
		Use:   "rpc NODE METHOD [PARAMS...]",
		Short: "Call a JSON-RPC method on one node (params as for `cairn rpc`)",
		Example: `  cairn testnet rpc node1 getblockchaininfo
  cairn testnet rpc 2 getpeerinfo`,
		Args: cobra.MinimumNArgs(2),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp // NODE: needs the network's state
			}
			return completeRPCMethod(c, args[1:], toComplete)
		},
		RunE: func(c *cobra.Command, args []string) error {
			n, i, err := openNode(tf, args[0])
			if err != nil {
				return err
			}
			cl, err := n.Client(i)
			if err != nil {
				return err
			}
			return callAndPrint(c.Context(), cl, args[1], args[2:])
		},
	}
	envCmd := &cobra.Command{
		Use:   "env NODE",
		Short: "Print shell exports so plain `cairn wallet ...` and `cairn rpc ...` talk to NODE",
		Example: `  eval "$(cairn testnet env node1)"
  cairn wallet balance`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			n, i, err := openNode(tf, args[0])
			if err != nil {
				return err
			}
			ns := n.State.Nodes[i]
			fmt.Printf("export CAIRN_GENESIS=%q\n", filepath.Join(n.Dir, testnet.GenesisFile))
			fmt.Printf("export CAIRN_DATADIR=%q\n", ns.Dir)
			fmt.Printf("export CAIRN_RPC_URL=%q\n", n.RPCURL(i))
			fmt.Printf("# wallet passphrase file: %s\n", filepath.Join(n.Dir, testnet.PassphraseFile))
			return nil
		},
	}
	var follow bool
	logsCmd := &cobra.Command{
		Use:     "logs NODE",
		Short:   "Print a node's log (-f follows it)",
		Example: `  cairn testnet logs node2 -f`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, i, err := openNode(tf, args[0])
			if err != nil {
				return err
			}
			f, err := os.Open(filepath.Join(n.State.Nodes[i].Dir, "node.log"))
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(os.Stdout, f); err != nil || !follow {
				return err
			}
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-c.Context().Done():
					return nil
				case <-tick.C:
					if _, err := io.Copy(os.Stdout, f); err != nil {
						return err
					}
				}
			}
		},
	}
	logsCmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	return []*cobra.Command{rpcCmd, envCmd, logsCmd, newTestnetWalletCmd(tf)}
}

// newTestnetWalletCmd runs `cairn wallet ...` against one node with the
// network's genesis, the node's data dir and RPC URL and the wallets'
// passphrase file filled in.
func newTestnetWalletCmd(tf *testnetFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "wallet NODE WALLET-COMMAND [ARGS...]",
		Short: "Run a `cairn wallet` command on one node's wallet (no flags to type)",
		Long: `Run a cairn wallet command against NODE: --genesis, --datadir, --rpc-url
and --passphrase-file are filled in from the testnet directory. Flags after
NODE go to the wallet command, except --dir which picks the testnet.`,
		Example: `  cairn testnet wallet node1 send tcairn1... 1.5
  cairn testnet wallet node2 balance
  cairn testnet wallet 1 history --json`,
		// The wallet command parses its own flags.
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			dir, rest, err := takeDirFlag(tf.dir, args)
			if err != nil {
				return err
			}
			if len(rest) == 0 || rest[0] == "-h" || rest[0] == "--help" {
				return c.Help()
			}
			if len(rest) < 2 {
				return fmt.Errorf("want NODE and a wallet command, e.g. `cairn testnet wallet node1 balance`")
			}
			n, i, err := openNode(&testnetFlags{dir: dir}, rest[0])
			if err != nil {
				return err
			}
			full := append([]string{"wallet"}, rest[1:]...)
			full = append(full, "--genesis", filepath.Join(n.Dir, testnet.GenesisFile), "--datadir", n.State.Nodes[i].Dir,
				"--rpc-url", n.RPCURL(i))
			if !slices.ContainsFunc(rest, func(a string) bool { return strings.HasPrefix(a, "--passphrase-file") }) {
				full = append(full, "--passphrase-file", filepath.Join(n.Dir, testnet.PassphraseFile))
			}
			root := newRootCmd()
			root.SetArgs(full)
			root.SetOut(c.OutOrStdout())
			root.SetErr(c.ErrOrStderr())
			return root.ExecuteContext(c.Context())
		},
	}
}

// takeDirFlag removes --dir D / --dir=D from args (flag parsing is off for
// commands that pass their arguments on).
func takeDirFlag(dir string, args []string) (string, []string, error) {
	var rest []string
	for k := 0; k < len(args); k++ {
		switch a := args[k]; {
		case a == "--dir":
			if k+1 >= len(args) {
				return "", nil, fmt.Errorf("--dir needs a directory")
			}
			dir = args[k+1]
			k++
		case strings.HasPrefix(a, "--dir="):
			dir = strings.TrimPrefix(a, "--dir=")
		default:
			rest = append(rest, a)
		}
	}
	return dir, rest, nil
}

func openNode(tf *testnetFlags, name string) (*testnet.Network, int, error) {
	n, err := testnet.Open(tf.dir)
	if err != nil {
		return nil, 0, err
	}
	i, err := n.Node(name)
	return n, i, err
}
