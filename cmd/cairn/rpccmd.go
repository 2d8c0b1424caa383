package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/cairn-chain/cairn/rpc"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newRPCCmd) }

func newRPCCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "rpc METHOD [PARAMS...]",
		Short: "Call a JSON-RPC method on the node (`cairn rpc help` lists them)",
		Long: `Call a JSON-RPC method. Each parameter that parses as JSON (numbers,
true/false, null, arrays, objects, quoted strings) is sent as that value;
anything else is sent as a string. The result is printed as JSON (a string
result bare). --rpc-wait waits for a starting node. With shell completion
(cairn completion --help), METHOD completes from the built-in method list,
no node needed.

` + envHelp,
		Example: `  cairn rpc help                               # every method
  cairn rpc help sendtoaddress                 # one method's params and errors
  cairn rpc getblockchaininfo --network regtest --datadir /tmp/cairn-rt
  cairn rpc generatetoaddress 101 rcairn1... --rpc-wait
  cairn rpc stop`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeRPCMethod,
		RunE: func(c *cobra.Command, args []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			return callAndPrint(c.Context(), cl, args[0], args[1:])
		},
	}
	cf.register(cmd)
	return cmd
}

// completeRPCMethod completes METHOD, and help's argument, from the
// method table compiled in: it works with no node running.
func completeRPCMethod(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 1 || (len(args) == 1 && args[0] != "help") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, name := range rpc.MethodNames() {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// rpcCaller is what callAndPrint needs (*rpc.Client).
type rpcCaller interface {
	Call(ctx context.Context, method string, params, result any) error
}

// callAndPrint sends method with CLI arguments as params: each that parses
// as JSON is sent as that value, anything else as a string. A string result
// prints bare, anything else as indented JSON.
func callAndPrint(ctx context.Context, cl rpcCaller, method string, args []string) error {
	params := make([]any, 0, len(args))
	for _, a := range args {
		var v any
		if json.Valid([]byte(a)) && json.Unmarshal([]byte(a), &v) == nil {
			params = append(params, json.RawMessage(a))
		} else {
			params = append(params, a)
		}
	}
	var res json.RawMessage
	if err := cl.Call(ctx, method, params, &res); err != nil {
		return err
	}
	var pretty any
	if err := json.Unmarshal(res, &pretty); err != nil {
		fmt.Println(string(res))
		return nil
	}
	if s, ok := pretty.(string); ok {
		fmt.Println(s)
		return nil
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(pretty)
}
