package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/rpc"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// clientFlags are shared by every command that talks to a running node.
type clientFlags struct {
	network, genesis, dataDir string
	url, user, password       string
	passFile                  string
	json                      bool
}

func (cf *clientFlags) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&cf.network, "network", "main", "network: main, test or regtest")
	f.StringVar(&cf.genesis, "genesis", "", "custom network genesis spec (JSON)")
	f.StringVar(&cf.dataDir, "datadir", "", "the node's data directory, for its RPC cookie (default ~/.cairn/<network>)")
	f.StringVar(&cf.url, "rpc-url", "", "node RPC URL (default http://127.0.0.1:<network RPC port>)")
	f.StringVar(&cf.user, "rpc-user", "", "RPC user (default: cookie from --datadir)")
	f.StringVar(&cf.password, "rpc-password", "", "RPC password")
	f.StringVar(&cf.passFile, "passphrase-file", "", "read the wallet passphrase from this file instead of the terminal")
	f.BoolVar(&cf.json, "json", false, "print JSON for scripts")
}

func (cf *clientFlags) params() (*consensus.Params, error) { return loadParams(cf.network, cf.genesis) }

// client builds an RPC client from the flags: explicit credentials, or the
// cookie the node wrote into its data dir.
func (cf *clientFlags) client() (*rpc.Client, *consensus.Params, error) {
	p, err := cf.params()
	if err != nil {
		return nil, nil, err
	}
	url := cf.url
	if url == "" {
		url = fmt.Sprintf("http://127.0.0.1:%d", p.DefaultRPCPort)
	}
	user, pass := cf.user, cf.password
	if user == "" {
		dir := cf.dataDir
		if dir == "" {
			dir = defaultDataDir(p.Name)
		}
		user, pass, err = rpc.ReadCookie(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("no RPC credentials: %w (is the node running with --datadir %s? or pass --rpc-user/--rpc-password)", err, dir)
		}
	}
	cl := &rpc.Client{URL: url, User: user, Password: pass}
	// Catch a CLI/node network mismatch before anything is signed or sent.
	var info struct {
		Network string `json:"network"`
	}
	if err := cl.Call(context.Background(), "getblockchaininfo", []any{}, &info); err != nil {
		return nil, nil, err
	}
	if info.Network != p.Name {
		return nil, nil, fmt.Errorf("the node at %s runs network %q, not %q: pass --network %s (or the matching --genesis)", url, info.Network, p.Name, info.Network)
	}
	return cl, p, nil
}

// passphrase reads a passphrase from --passphrase-file or the terminal
// without echo; confirm asks twice (for create).
func (cf *clientFlags) passphrase(prompt string, confirm bool) ([]byte, error) {
	if cf.passFile != "" {
		b, err := os.ReadFile(cf.passFile)
		if err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		p := []byte(strings.TrimRight(string(b), "\r\n"))
		if len(p) == 0 {
			return nil, fmt.Errorf("--passphrase-file %s is empty", cf.passFile)
		}
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("no terminal to read the passphrase from: use --passphrase-file")
	}
	fmt.Fprint(os.Stderr, prompt)
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("empty passphrase")
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Repeat passphrase: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if string(p) != string(q) {
			return nil, fmt.Errorf("passphrases do not match")
		}
	}
	return p, nil
}
