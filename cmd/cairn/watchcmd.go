package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cairn-chain/cairn/rpc"
	"github.com/cairn-chain/cairn/wallet"
	"github.com/coder/websocket"
	"github.com/spf13/cobra"
)

// watchEvent is an "address" notification (rpc/notify.go).
type watchEvent struct {
	Address   string `json:"address"`
	Event     string `json:"event"`
	Direction string `json:"direction"`
	TxID      string `json:"txid"`
	Kind      string `json:"kind"`
	From      string `json:"from"`
	To        string `json:"to"`
	Amount    uint64 `json:"amount"`
	Fee       uint64 `json:"fee"`
	Height    uint64 `json:"height"`
	BlockHash string `json:"blockhash"`
}

func newWalletWatchCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use: "watch", Short: "Print the wallet's payments live: pending, then confirmed", Args: cobra.NoArgs,
		Long: `Follow the wallet's addresses over the node's websocket and print every
payment that touches them as it happens: "pending" when the mempool accepts
it, "confirmed" when a block includes it, "reorged" if that block leaves the
chain. Addresses created after the watch starts are not followed. Ctrl-C stops.`,
		Example: `  cairn wallet watch --network regtest --datadir /tmp/cairn-rt
  cairn wallet watch --json       # one JSON object per line`,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, _, err := cf.client()
			if err != nil {
				return err
			}
			ctx := c.Context()
			var addrs []struct {
				Address string `json:"address"`
			}
			if err := cl.Call(ctx, "listaddresses", []any{}, &addrs); err != nil {
				return err
			}
			if len(addrs) == 0 {
				return errors.New("the wallet has no addresses yet: create one with `cairn wallet address`")
			}
			ws, err := rpc.DialWS(ctx, cl.URL, cl.User, cl.Password)
			if err != nil {
				return err
			}
			defer ws.Close()
			for _, a := range addrs {
				if _, err := ws.Subscribe(ctx, rpc.TopicAddress, a.Address); err != nil {
					return fmt.Errorf("subscribe to %s: %w", a.Address, err)
				}
			}
			if !cf.json {
				fmt.Fprintf(os.Stderr, "watching %d wallet addresses at %s; Ctrl-C to stop\n", len(addrs), cl.URL)
			}
			return watchLoop(ctx, ws, cf.json)
		},
	}
}

// watchLoop prints notifications until ctx ends or the node closes the socket.
func watchLoop(ctx context.Context, ws *rpc.WSClient, asJSON bool) error {
	// A payment between two wallet addresses arrives once per address:
	// print it once.
	seen := map[string]bool{}
	enc := json.NewEncoder(os.Stdout)
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-ws.Notifications():
			if !ok {
				var ce websocket.CloseError
				if err := ws.Err(); errors.As(err, &ce) && ce.Reason != "" {
					return fmt.Errorf("the node closed the connection: %s", ce.Reason)
				}
				return fmt.Errorf("lost the connection to the node: %v", ws.Err())
			}
			var ev watchEvent
			if json.Unmarshal(n.Result, &ev) != nil {
				continue
			}
			key := ev.TxID + ev.Event + ev.BlockHash
			if seen[key] {
				continue
			}
			if len(seen) > 100_000 {
				clear(seen)
			}
			seen[key] = true
			if asJSON {
				if err := enc.Encode(ev); err != nil {
					return err
				}
				continue
			}
			fmt.Println(formatWatch(ev, time.Now()))
		}
	}
}

func formatWatch(ev watchEvent, now time.Time) string {
	state := map[string]string{"mempool": "pending", "connected": "confirmed", "disconnected": "reorged"}[ev.Event]
	amount := "+" + wallet.FormatAmount(ev.Amount)
	peer := "from " + ev.From
	switch ev.Direction {
	case "outgoing":
		amount, peer = "-"+wallet.FormatAmount(ev.Amount+ev.Fee), "to "+ev.To
	case "self":
		amount, peer = "-"+wallet.FormatAmount(ev.Fee), "to self "+ev.To
	}
	if ev.Kind == "coinbase" {
		peer = "mined"
	}
	where := ""
	if ev.Event != "mempool" {
		where = fmt.Sprintf("  block %d %s", ev.Height, short(ev.BlockHash))
	}
	return fmt.Sprintf("%s  %-9s  %-8s  %s %s  %s  tx %s%s", now.Format("15:04:05"), state, ev.Direction, amount, wallet.Unit, peer, ev.TxID, where)
}
