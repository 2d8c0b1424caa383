package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/cmd/cairn/internal/node"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/rpc"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// clientFlags are shared by every command that talks to a running node.
type clientFlags struct {
	network, genesis, dataDir string
	url, user, password       string
	passFile                  string
	json                      bool
	wait                      bool
	waitTimeout               time.Duration
	flags                     *pflag.FlagSet
}

// clientEnv maps environment variables to the client flags they default.
// The command line wins over the environment.
var clientEnv = []struct{ env, flag string }{
	{"CAIRN_NETWORK", "network"},
	{"CAIRN_GENESIS", "genesis"},
	{"CAIRN_DATADIR", "datadir"},
	{"CAIRN_RPC_URL", "rpc-url"},
	{"CAIRN_RPC_USER", "rpc-user"},
	{"CAIRN_RPC_PASSWORD", "rpc-password"},
}

// envHelp lists the variables for a command's long help.
const envHelp = `Environment: CAIRN_NETWORK, CAIRN_GENESIS, CAIRN_DATADIR, CAIRN_RPC_URL,
CAIRN_RPC_USER and CAIRN_RPC_PASSWORD set the flags of the same name when
they are not given on the command line.`

func (cf *clientFlags) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&cf.network, "network", "main", "network: main, test or regtest (env CAIRN_NETWORK)")
	f.StringVar(&cf.genesis, "genesis", "", "custom network genesis spec, a JSON file as written by cairn testnet (env CAIRN_GENESIS)")
	f.StringVar(&cf.dataDir, "datadir", "", "the node's data directory, for its RPC cookie (default ~/.cairn/<network>; env CAIRN_DATADIR)")
	f.StringVar(&cf.url, "rpc-url", "", "node RPC URL (default http://127.0.0.1:<network RPC port>; env CAIRN_RPC_URL)")
	f.StringVar(&cf.user, "rpc-user", "", "RPC user (default: cookie from --datadir; env CAIRN_RPC_USER)")
	f.StringVar(&cf.password, "rpc-password", "", "RPC password (env CAIRN_RPC_PASSWORD)")
	f.StringVar(&cf.passFile, "passphrase-file", "", "read the wallet passphrase from this file instead of the terminal")
	f.BoolVar(&cf.json, "json", false, "print JSON for scripts")
	f.BoolVar(&cf.wait, "rpc-wait", false, "wait for the node to answer RPC (and write its cookie) instead of failing")
	f.DurationVar(&cf.waitTimeout, "rpc-wait-timeout", time.Minute, "how long --rpc-wait waits")
	cf.flags = f
}

// applyEnv sets every client flag the command line left alone from its
// environment variable.
func (cf *clientFlags) applyEnv() error { return applyEnv(cf.flags, len(clientEnv)) }

// applyEnv applies the first n of clientEnv (the node takes only the
// first three: its RPC credentials are not the client's).
func applyEnv(flags *pflag.FlagSet, n int) error {
	for _, e := range clientEnv[:n] {
		v, ok := os.LookupEnv(e.env)
		fl := flags.Lookup(e.flag)
		if !ok || v == "" || fl == nil || fl.Changed {
			continue
		}
		if err := flags.Set(e.flag, v); err != nil {
			return fmt.Errorf("%s=%q: %w", e.env, v, err)
		}
	}
	return nil
}

func (cf *clientFlags) params() (*consensus.Params, error) {
	if err := cf.applyEnv(); err != nil {
		return nil, err
	}
	return loadParams(cf.network, cf.genesis)
}

// client builds an RPC client from the flags (explicit credentials, or the
// cookie the node wrote into its data dir) and checks that the node runs
// the network the flags name. With --rpc-wait it retries until the node
// answers or --rpc-wait-timeout passes.
func (cf *clientFlags) client() (*rpc.Client, *consensus.Params, error) {
	p, err := cf.params()
	if err != nil {
		return nil, nil, err
	}
	if !cf.wait {
		cl, err := cf.connect(p)
		return cl, p, err
	}
	if cf.waitTimeout <= 0 {
		return nil, nil, fmt.Errorf("--rpc-wait-timeout must be positive, e.g. 30s")
	}
	deadline := time.Now().Add(cf.waitTimeout)
	for {
		cl, err := cf.connect(p)
		var fatal *fatalConnErr
		if err == nil || errors.As(err, &fatal) {
			return cl, p, err
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("gave up after --rpc-wait-timeout %v: %w", cf.waitTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fatalConnErr is a connection error that waiting cannot fix.
type fatalConnErr struct{ err error }

func (e *fatalConnErr) Error() string { return e.err.Error() }
func (e *fatalConnErr) Unwrap() error { return e.err }

func (cf *clientFlags) rpcURL(p *consensus.Params) string {
	if cf.url != "" {
		return cf.url
	}
	dir := cf.dataDir
	if dir == "" {
		dir = defaultDataDir(p.Name)
	}
	if u := rpc.ReadURLFile(dir); u != "" {
		return u // the node running on this data dir says where it listens
	}
	return fmt.Sprintf("http://127.0.0.1:%d", p.DefaultRPCPort)
}

func (cf *clientFlags) connect(p *consensus.Params) (*rpc.Client, error) {
	u := cf.rpcURL(p)
	user, pass := cf.user, cf.password
	if user == "" {
		dir := cf.dataDir
		if dir == "" {
			dir = defaultDataDir(p.Name)
		}
		var err error
		if user, pass, err = rpc.ReadCookie(dir); err != nil {
			return nil, cookieError(err, dir, u)
		}
	}
	cl := &rpc.Client{URL: u, User: user, Password: pass}
	// Catch a CLI/node network mismatch before anything is signed or sent.
	var info struct {
		Network string `json:"network"`
	}
	if err := cl.Call(context.Background(), "getblockchaininfo", []any{}, &info); err != nil {
		var rerr *rpc.Error
		if errors.As(err, &rerr) {
			return nil, &fatalConnErr{err}
		}
		return nil, err
	}
	if info.Network != p.Name {
		return nil, &fatalConnErr{wrongNetwork(u, info.Network, p.Name)}
	}
	return cl, nil
}

// wrongNetwork suggests a flag that selects the node's network: --network
// for a built-in one, --genesis for a custom one (which --network cannot name).
func wrongNetwork(u, node, cli string) error {
	if _, err := consensus.ParamsByName(node); err == nil {
		return fmt.Errorf("the node at %s runs network %q, not %q: pass --network %s", u, node, cli, node)
	}
	return fmt.Errorf("the node at %s runs the custom network %q, not %q: pass --genesis with that network's genesis file "+
		"(cairn testnet keeps it in <dir>/genesis.json)", u, node, cli)
}

// cookieError explains a missing cookie: a node that runs without one
// (deleted) needs a restart; no node at all needs starting.
func cookieError(err error, dir, u string) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	cookie := filepath.Join(dir, rpc.CookieFile)
	if listening(u) {
		stop := "stop it with Ctrl-C or SIGTERM"
		pidFile := filepath.Join(dir, node.PIDFile)
		if _, err := os.Stat(pidFile); err == nil {
			stop = fmt.Sprintf("stop it cleanly with `kill $(cat %s)` (SIGTERM)", pidFile)
		}
		return fmt.Errorf("a node answers at %s but its RPC cookie %s is missing (deleted?): %s and restart the node to write "+
			"a new one, or pass --rpc-user/--rpc-password if it runs with them (or --datadir if it uses another directory)", u, cookie, stop)
	}
	return fmt.Errorf("%w: nothing answers at %s and there is no RPC cookie %s: start it with `cairn node --datadir %s`, "+
		"or pass --rpc-wait to wait for a node that is starting", rpc.ErrNodeNotRunning, u, cookie, dir)
}

// listening reports whether something accepts TCP connections at u's host.
func listening(u string) bool {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return false
	}
	c, err := net.DialTimeout("tcp", pu.Host, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
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
