package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	return []*cobra.Command{rpcCmd, envCmd, logsCmd}
}

func openNode(tf *testnetFlags, name string) (*testnet.Network, int, error) {
	n, err := testnet.Open(tf.dir)
	if err != nil {
		return nil, 0, err
	}
	i, err := n.Node(name)
	return n, i, err
}
