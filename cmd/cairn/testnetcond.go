package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cairn-chain/cairn/testnet"
	"github.com/cairn-chain/cairn/testnet/netproxy"
	"github.com/spf13/cobra"
)

// upCondFlags are `testnet up`'s network-condition flags; any of them puts
// the nodes behind proxies (TCP only), even at zero.
type upCondFlags struct {
	latency, jitter time.Duration
	loss, bandwidth string
}

func (f *upCondFlags) register(c *cobra.Command) {
	c.Flags().DurationVar(&f.latency, "latency", 0, "one-way delay added to every P2P hop (puts nodes behind user-space proxies; TCP only)")
	c.Flags().DurationVar(&f.jitter, "jitter", 0, "random +/- spread of --latency")
	c.Flags().StringVar(&f.loss, "loss", "0%", "share of P2P segments lost (each costs a TCP retransmission timeout), e.g. 1%")
	c.Flags().StringVar(&f.bandwidth, "bandwidth", "off", "per-connection bandwidth each way, e.g. 20mbit")
}

// apply enables the conditions on n if any flag was given.
func (f *upCondFlags) apply(c *cobra.Command, n *testnet.Network) error {
	changed := false
	for _, name := range []string{"latency", "jitter", "loss", "bandwidth"} {
		changed = changed || c.Flags().Changed(name)
	}
	if !changed {
		return nil
	}
	cond := testnet.Conditions{Latency: f.latency, Jitter: f.jitter}
	var err error
	if cond.Loss, err = testnet.ParseLoss(f.loss); err != nil {
		return err
	}
	if cond.Bandwidth, err = testnet.ParseBandwidth(f.bandwidth); err != nil {
		return err
	}
	if n.Conditioned() {
		// An existing conditioned network: the flags set its conditions now.
		return n.SetConditions(c.Context(), nil, func(c *testnet.Conditions) { *c = cond })
	}
	if err := n.EnableConditions(cond); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "network conditions: %s (P2P through user-space proxies)\n", cond)
	return nil
}

func newTestnetCondCmds(tf *testnetFlags) []*cobra.Command {
	target := func(n *testnet.Network, name string) ([]int, error) {
		if name == "all" {
			return nil, nil
		}
		i, err := n.Node(name)
		return []int{i}, err
	}
	set := func(c *cobra.Command, name string, change func(*testnet.Conditions)) error {
		n, err := testnet.Open(tf.dir)
		if err != nil {
			return err
		}
		nodes, err := target(n, name)
		if err != nil {
			return err
		}
		if err := n.SetConditions(c.Context(), nodes, change); err != nil {
			return err
		}
		st, err := n.ReadConditions()
		if err != nil {
			return err
		}
		for _, ns := range n.State.Nodes {
			if name == "all" || ns.Name == n.State.Nodes[nodes[0]].Name {
				fmt.Printf("%s: %s\n", ns.Name, st.Nodes[ns.Name])
			}
		}
		return nil
	}
	var jitter time.Duration
	delay := &cobra.Command{
		Use:   "delay NODE|all LATENCY",
		Short: "Set the one-way latency of a node's P2P links (0 removes it)",
		Example: `  cairn testnet delay node3 200ms --jitter 50ms
  cairn testnet delay all 0`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			d, err := time.ParseDuration(args[1])
			if args[1] == "0" {
				d, err = 0, nil
			}
			if err != nil {
				return fmt.Errorf("latency %q: %w", args[1], err)
			}
			return set(c, args[0], func(cd *testnet.Conditions) { cd.Latency, cd.Jitter = d, jitter })
		},
	}
	delay.Flags().DurationVar(&jitter, "jitter", 0, "random +/- spread of the latency")
	drop := &cobra.Command{
		Use:     "drop NODE|all LOSS",
		Short:   "Set the segment loss of a node's P2P links, e.g. 2% (0 removes it)",
		Example: `  cairn testnet drop node2 5%`,
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			l, err := testnet.ParseLoss(args[1])
			if err != nil {
				return err
			}
			return set(c, args[0], func(cd *testnet.Conditions) { cd.Loss = l })
		},
	}
	limit := &cobra.Command{
		Use:     "limit NODE|all BANDWIDTH",
		Short:   "Cap the bandwidth of each of a node's P2P connections, e.g. 1mbit (off removes it)",
		Example: `  cairn testnet limit node4 512kbit`,
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			b, err := testnet.ParseBandwidth(args[1])
			if err != nil {
				return err
			}
			return set(c, args[0], func(cd *testnet.Conditions) { cd.Bandwidth = b })
		},
	}
	proxy := &cobra.Command{
		Use:    "proxy",
		Short:  "Run the network-conditions proxies (started by up; stopped by down)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "testnet-proxy")
			return netproxy.Run(ctx, tf.dir, log)
		},
	}
	return []*cobra.Command{delay, drop, limit, proxy}
}
