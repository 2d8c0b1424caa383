package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-chain/cairn/testnet"
	"github.com/cairn-chain/cairn/wallet"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newTestnetCmd) }

type testnetFlags struct {
	dir  string
	json bool
}

func newTestnetCmd() *cobra.Command {
	tf := &testnetFlags{}
	cmd := &cobra.Command{Use: "testnet", Short: "Run a local multi-node network of real cairn processes"}
	cmd.PersistentFlags().StringVar(&tf.dir, "dir", "./cairn-testnet", "testnet directory")
	cmd.PersistentFlags().BoolVar(&tf.json, "json", false, "print JSON for scripts")
	cmd.AddCommand(newTestnetUpCmd(tf), newTestnetStatusCmd(tf), newTestnetLoadCmd(tf), newTestnetPartitionCmd(tf))
	cmd.AddCommand(newTestnetNodeTools(tf)...)
	cmd.AddCommand(newTestnetCondCmds(tf)...)
	cmd.AddCommand(newTestnetDashboardCmd(tf))
	simple := []struct {
		use, short string
		args       int
		run        func(ctx context.Context, n *testnet.Network, args []string) error
	}{
		{"down", "Stop every node cleanly (data is kept; `up` restarts them)", 0, func(_ context.Context, n *testnet.Network, _ []string) error { return n.Down() }},
		{"destroy", "Stop every node and delete the testnet directory", 0, func(_ context.Context, n *testnet.Network, _ []string) error { return n.Destroy() }},
		{"kill NODE", "SIGKILL a node (crash it)", 1, func(_ context.Context, n *testnet.Network, a []string) error {
			i, err := n.Node(a[0])
			if err != nil {
				return err
			}
			return n.Kill(i)
		}},
		{"stop NODE", "Stop a node cleanly", 1, func(_ context.Context, n *testnet.Network, a []string) error {
			i, err := n.Node(a[0])
			if err != nil {
				return err
			}
			return n.Stop(i)
		}},
		{"start NODE", "Start a stopped or killed node", 1, func(ctx context.Context, n *testnet.Network, a []string) error {
			i, err := n.Node(a[0])
			if err != nil {
				return err
			}
			return n.StartNode(ctx, i)
		}},
		{"heal", "Undo a partition: lift bans and reconnect the topology", 0, func(ctx context.Context, n *testnet.Network, _ []string) error { return n.Heal(ctx) }},
	}
	for _, s := range simple {
		s := s
		cmd.AddCommand(&cobra.Command{
			Use: s.use, Short: s.short, Args: cobra.ExactArgs(s.args),
			RunE: func(c *cobra.Command, args []string) error {
				n, err := testnet.Open(tf.dir)
				if err != nil {
					return err
				}
				return s.run(c.Context(), n, args)
			},
		})
	}
	return cmd
}

func newTestnetUpCmd(tf *testnetFlags) *cobra.Command {
	var o testnet.Options
	var detach bool
	var cf upCondFlags
	var dashAddr string
	c := &cobra.Command{
		Use:   "up",
		Short: "Create (if needed) and start a local network; Ctrl-C stops it",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			for _, name := range []string{"nodes", "block-time"} {
				if fl := c.Flags().Lookup(name); fl.Changed && (fl.Value.String() == "0" || fl.Value.String() == "0s") {
					return fmt.Errorf("--%s %s: must be positive", name, fl.Value)
				}
			}
			unlock, err := testnet.Lock(tf.dir)
			if err != nil {
				return err
			}
			defer unlock()
			n, err := testnet.Open(tf.dir)
			if err == nil {
				if err := checkUpFlags(c, n, o); err != nil {
					return err
				}
				if err := cf.apply(c, n); err != nil {
					return err
				}
				running := 0
				for i := range n.State.Nodes {
					if n.Running(i) {
						running++
					}
				}
				if running == len(n.State.Nodes) {
					fmt.Fprintf(os.Stderr, "%s in %s is already running (started by an earlier command); see `cairn testnet status`, stop it with `cairn testnet down`\n", n.State.Name, n.Dir)
					if tf.json {
						return printJSON(n.Status(ctx))
					}
					printNodeTable(n, n.Status(ctx))
					return nil
				}
			} else {
				o.Dir = tf.dir
				if o.Miners == 0 {
					o.Miners = -1 // the user asked for no miners
				}
				if n, err = testnet.Create(o); err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "created %s in %s\n", n.State.Name, n.Dir)
				if err := cf.apply(c, n); err != nil {
					return err
				}
			}
			if err := n.Up(ctx); err != nil {
				_ = n.Down()
				return err
			}
			url, err := upDashboard(ctx, n, dashAddr, detach)
			if err != nil {
				return err
			}
			if tf.json {
				if err := printJSON(n.Status(ctx)); err != nil {
					return err
				}
			} else {
				printNodeTable(n, n.Status(ctx))
				printHowTo(n)
			}
			if url != "" {
				fmt.Fprintln(os.Stderr, "dashboard:", url)
			}
			if detach {
				return nil
			}
			fmt.Fprintln(os.Stderr, "running; Ctrl-C stops the network (data kept in", n.Dir+")")
			tick := time.NewTicker(2 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					fmt.Fprintln(os.Stderr, "\nstopping...")
					return n.Down()
				case <-tick.C:
					fmt.Fprintf(os.Stderr, "\r%s", statusLine(n.Status(context.Background())))
				}
			}
		},
	}
	f := c.Flags()
	f.IntVar(&o.Nodes, "nodes", 4, "number of nodes")
	f.IntVar(&o.Miners, "miners", 2, "how many nodes mine")
	f.StringVar(&o.Topology, "topology", "", fmt.Sprintf("mesh, ring, line or random (default: mesh up to %d nodes, random above)", testnet.MaxDefaultMesh))
	f.StringVar(&o.MemLimit, "mem-limit", testnet.NodeMemLimit, "each node's soft memory limit (sized for idle nodes; \"off\" for none, e.g. under heavy load)")
	f.Float64Var(&o.MineDuty, "mine-duty", 0, "share of each second a miner hashes (default: half a core shared among the miners)")
	f.DurationVar(&o.BlockTime, "block-time", 5*time.Second, "target block spacing")
	f.BoolVar(&detach, "detach", false, "return once the network is up; nodes keep running")
	cf.register(c)
	f.StringVar(&dashAddr, "dashboard", "127.0.0.1:0", "serve the live dashboard on this loopback address (port 0: a free one; off: none)")
	return c
}

func newTestnetStatusCmd(tf *testnetFlags) *cobra.Command {
	return &cobra.Command{
		Use: "status", Short: "Per-node height, tip, peers, mempool and block rate", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			n, err := testnet.Open(tf.dir)
			if err != nil {
				return err
			}
			st := n.Status(c.Context())
			if tf.json {
				return printJSON(st)
			}
			printNodeTable(n, st)
			return nil
		},
	}
}

func newTestnetLoadCmd(tf *testnetFlags) *cobra.Command {
	var o testnet.LoadOptions
	c := &cobra.Command{
		Use: "load", Short: "Send signed payments between funded accounts and report confirmations", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			n, err := testnet.Open(tf.dir)
			if err != nil {
				return err
			}
			if !tf.json {
				o.Progress = func(p testnet.LoadProgress) {
					fmt.Fprintf(os.Stderr, "\r%s: sent %d/%d, rejected %d, confirmed %d, %d blocks   ",
						p.Elapsed.Round(time.Second), p.Submitted, p.Total, p.Rejected, p.Confirmed, p.Blocks)
				}
			}
			rep, err := n.Load(c.Context(), o)
			if o.Progress != nil {
				fmt.Fprintln(os.Stderr)
			}
			if err != nil {
				return err
			}
			if tf.json {
				return printJSON(rep)
			}
			fmt.Printf("signed %d payments in %s before the clock started\n", rep.Submitted+rep.Rejected+rep.NotSent, rep.SignTime.Round(time.Millisecond))
			fmt.Printf("submitted %d, confirmed %d, rejected %d, unconfirmed %d in %s\n", rep.Submitted, rep.Confirmed, rep.Rejected, rep.Unconfirmed, rep.Elapsed.Round(time.Millisecond))
			if rep.NotSent > 0 {
				fmt.Printf("%d not sent: held back when the run ended (each account keeps at most 24 unconfirmed payments)\n", rep.NotSent)
			}
			fmt.Printf("confirmed %.1f tx/s while sending, %.1f tx/s sustained from the first confirming block to the last\n", rep.WindowTPS, rep.SustainedTPS)
			fmt.Printf("confirmed %.1f tx/s over the whole run; latency p50 %s, p99 %s\n", rep.ConfirmedTPS, rep.LatencyP50.Round(time.Millisecond), rep.LatencyP99.Round(time.Millisecond))
			fmt.Printf("%d blocks, %.1f txs per block (%.1f%% of the tx limit)\n", rep.Blocks, rep.AvgBlockTxs, 100*rep.AvgBlockFill)
			for r, k := range rep.RejectReasons {
				fmt.Printf("  rejected %d: %s\n", k, r)
			}
			return nil
		},
	}
	c.Flags().Float64Var(&o.TPS, "tps", 10, "payments per second")
	c.Flags().DurationVar(&o.Duration, "duration", 30*time.Second, "how long to send")
	return c
}

func newTestnetPartitionCmd(tf *testnetFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "partition GROUP GROUP...",
		Short: "Split the network, e.g. `partition 1,2 3,4` (undo with `heal`)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := testnet.Open(tf.dir)
			if err != nil {
				return err
			}
			groups, err := n.ParseGroups(args)
			if err != nil {
				return err
			}
			return n.Partition(c.Context(), groups)
		},
	}
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printNodeTable(n *testnet.Network, st []testnet.NodeStatus) {
	tips := map[string]int{}
	for _, s := range st {
		if s.Running {
			tips[s.Tip]++
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATE\tMINING\tHEIGHT\tTIP\tPEERS\tMEMPOOL\tBLK/S\tRPC\tP2P")
	for _, s := range st {
		state := "stopped"
		if s.Running {
			state = "running"
		}
		tip := short(s.Tip)
		if len(tips) > 1 && s.Running {
			tip = "*" + tip // tips disagree
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%s\t%d\t%d\t%.2f\t%s\t%s\n", s.Name, state, s.Mining, s.Height, tip, s.Peers, s.MempoolSize, s.BlocksPerS, s.RPC, s.P2P)
	}
	tw.Flush()
	if len(tips) > 1 {
		fmt.Println("* tips disagree")
	}
}

// printHowTo lists the funded accounts, as anvil does, and the commands
// that use them.
func printHowTo(n *testnet.Network) {
	fmt.Printf("\nFunded accounts (%s %s each at genesis; test money):\n", wallet.FormatAmount(testnet.FundPerAccount), wallet.Unit)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for i, ns := range n.State.Nodes {
		k := n.Keys[ns.WalletKey]
		fmt.Fprintf(tw, "  (%d)\t%s\t%s's wallet\n", i, k.Address, ns.Name)
	}
	tw.Flush()
	if extra := len(n.Keys) - len(n.State.Nodes); extra > 0 {
		fmt.Printf("  ... and %d load accounts (used by `cairn testnet load`)\n", extra)
	}
	fmt.Printf("Private keys: %s   Wallet passphrase: %s\n",
		filepath.Join(n.Dir, testnet.KeysFile), filepath.Join(n.Dir, testnet.PassphraseFile))
	to := n.Keys[len(n.Keys)-1].Address
	dirFlag := ""
	if abs, _ := filepath.Abs("./cairn-testnet"); abs != n.Dir {
		dirFlag = " --dir " + n.Dir
	}
	fmt.Printf("\nSend a payment from node1's wallet:\n")
	fmt.Printf("  cairn testnet wallet node1 send %s 1.5%s\n", to, dirFlag)
	fmt.Printf("  cairn testnet wallet node1 balance%s\n", dirFlag)
	fmt.Printf("Status: cairn testnet status%s   Load: cairn testnet load%s --tps 100 --duration 30s\n", dirFlag, dirFlag)
}

func statusLine(st []testnet.NodeStatus) string {
	var parts []string
	tips := map[string]bool{}
	for _, s := range st {
		if !s.Running {
			parts = append(parts, s.Name+":down")
			continue
		}
		tips[s.Tip] = true
		parts = append(parts, fmt.Sprintf("%s:h%d/p%d/m%d", s.Name, s.Height, s.Peers, s.MempoolSize))
	}
	agree := "tips agree"
	if len(tips) > 1 {
		agree = "TIPS DISAGREE"
	}
	return strings.Join(parts, " ") + " | " + agree + "   "
}

// checkUpFlags refuses `up` flags that contradict the network already in
// the directory, rather than silently ignoring them.
func checkUpFlags(c *cobra.Command, n *testnet.Network, o testnet.Options) error {
	miners := 0
	for _, ns := range n.State.Nodes {
		if ns.Mining {
			miners++
		}
	}
	type check struct {
		flag      string
		want, got string
	}
	checks := []check{
		{"nodes", fmt.Sprint(o.Nodes), fmt.Sprint(len(n.State.Nodes))},
		{"miners", fmt.Sprint(o.Miners), fmt.Sprint(miners)},
		{"topology", o.Topology, n.State.Topology},
		{"block-time", o.BlockTime.String(), n.State.BlockTime.String()},
		{"mine-duty", fmt.Sprint(o.MineDuty), fmt.Sprint(n.State.MineDuty)},
		{"mem-limit", o.MemLimit, cmp.Or(n.State.MemLimit, testnet.NodeMemLimit)},
	}
	for _, ch := range checks {
		if c.Flags().Changed(ch.flag) && ch.want != ch.got {
			return fmt.Errorf("%s already holds %s with --%s %s; --%s %s contradicts it (drop the flag, or `cairn testnet destroy` first)",
				n.Dir, n.State.Name, ch.flag, ch.got, ch.flag, ch.want)
		}
	}
	return nil
}
