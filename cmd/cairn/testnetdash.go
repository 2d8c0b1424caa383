package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cairn-chain/cairn/testnet"
	"github.com/cairn-chain/cairn/testnet/dashboard"
	"github.com/spf13/cobra"
)

func newTestnetDashboardCmd(tf *testnetFlags) *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve the live dashboard of a running network (Ctrl-C stops it)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			log := slog.New(slog.NewTextHandler(os.Stderr, nil))
			d, err := dashboard.New(dashboard.Config{Dir: tf.dir, Addr: addr, Logger: log})
			if err != nil {
				return err
			}
			if err := d.Start(ctx); err != nil {
				return err
			}
			fmt.Println("dashboard:", d.URL())
			// Serve until stopped, or until the network is destroyed.
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
					if _, err := testnet.Open(tf.dir); err != nil {
						return nil
					}
				}
			}
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to serve on (port 0 picks a free one)")
	return c
}

// upDashboard serves the dashboard for `testnet up`: in this process when
// up stays in the foreground, else as a background `testnet dashboard`
// process that down stops. It returns the URL ("" when addr is "off").
func upDashboard(ctx context.Context, n *testnet.Network, addr string, detach bool) (string, error) {
	if addr == "off" || addr == "" {
		return "", nil
	}
	if !detach {
		d, err := dashboard.New(dashboard.Config{Dir: n.Dir, Addr: addr})
		if err != nil {
			return "", err
		}
		if err := d.Start(ctx); err != nil {
			return "", err
		}
		return d.URL(), nil
	}
	if n.DashboardRunning() {
		return "http://" + n.State.DashboardAddr + "/", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--dashboard %q: %w", addr, err)
	}
	if port == "0" { // the background process must be told a concrete port
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", err
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	if err := n.StartDashboard(addr); err != nil {
		return "", err
	}
	url := "http://" + addr + "/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return url, nil
		}
		if time.Now().After(deadline) || !n.DashboardRunning() {
			return "", fmt.Errorf("dashboard did not start on %s: see %s/dashboard.log", addr, n.Dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
