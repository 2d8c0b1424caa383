package testnet

import (
	"context"
	"strings"
)

// The CLI verbs and the dashboard's buttons share these.

// ParseGroups reads partition groups such as ["1,2", "node3,4"].
func (n *Network) ParseGroups(args []string) ([][]int, error) {
	var groups [][]int
	for _, g := range args {
		var members []int
		for _, name := range strings.Split(g, ",") {
			i, err := n.Node(strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			members = append(members, i)
		}
		groups = append(groups, members)
	}
	return groups, nil
}

// StartNode starts a stopped or killed node and reconnects the topology.
func (n *Network) StartNode(ctx context.Context, i int) error {
	if err := n.Start(ctx, i); err != nil {
		return err
	}
	return n.ConnectTopology(ctx)
}
