package rpc

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/wallet"
)

// sideNode serves n's chain and pool with a second wallet directory, as a
// second node on the same chain would, so a restore sees the same history.
func sideNode(t *testing.T, n *testNode) *testNode {
	t.Helper()
	dir := t.TempDir()
	wl := NewWalletLoader(wallet.Config{Dir: filepath.Join(dir, "wallet"), Params: n.params, KDF: wallet.KDFParams{N: 16, R: 1, P: 1}})
	srv, err := New(Config{Addr: "127.0.0.1:0", DataDir: dir, Backend: Backend{
		Params: n.params, Chain: n.chain, Mempool: n.pool, Wallet: wl, StartTime: time.Now(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		wl.Close()
	})
	user, pass, err := ReadCookie(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{t: t, params: n.params, dir: dir, chain: n.chain, pool: n.pool, srv: srv,
		client: &Client{URL: "http://" + srv.Addr() + "/", User: user, Password: pass}}
}

func TestHDWalletRestoreAndBackup(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	const pass = "correct horse"
	rpcError(t, n.call("createwallet", []any{"short"}, nil), CodeInvalidParameter)
	var created createWalletJSON
	n.must("createwallet", []any{pass}, &created)
	if !created.HD || !created.Locked || len(strings.Fields(created.Mnemonic)) != wallet.MnemonicWords || created.AccountPath != "m/86'/1'/0'" {
		t.Fatalf("createwallet: %+v", created)
	}
	// Locked, addresses come from the xpub; use the 1st and the 4th.
	var addrs []string
	for range 5 {
		var a string
		n.must("getnewaddress", nil, &a)
		addrs = append(addrs, a)
	}
	n.must("generatetoaddress", []any{101, addrs[0]}, nil)
	n.must("walletpassphrase", []any{pass, 60}, nil)
	var txid string
	n.must("sendtoaddress", []any{addrs[3], 3 * consensus.Coin}, &txid)
	// --from: spend from the 4th address, whose coins are still pending: refused in coins.
	e := rpcError(t, n.call("sendtoaddress", []any{addrs[1], consensus.Coin, nil, addrs[3]}, nil), CodeInsufficientFunds)
	if !strings.Contains(e.Message, "CAIRN") {
		t.Fatalf("insufficient funds message without the unit: %s", e.Message)
	}
	n.must("generatetoaddress", []any{1, addrs[0]}, nil)
	var fromTx string
	n.must("sendtoaddress", map[string]any{"address": addrs[1], "amount": consensus.Coin, "from": addrs[3]}, &fromTx)
	var got walletTxJSON
	n.must("gettransaction", []any{fromTx}, &got)
	if got.From != addrs[3] {
		t.Fatalf("--from ignored: sent from %s, want %s", got.From, addrs[3])
	}
	e = rpcError(t, n.call("sendtoaddress", []any{addrs[1], consensus.Coin, 1}, nil), CodeInvalidParameter)
	if !strings.Contains(e.Message, "0.00000001 CAIRN") {
		t.Fatalf("fee error not in coins: %s", e.Message)
	}
	var est uint64
	n.must("estimatefee", nil, &est)
	if est < n.params.MinTxFee {
		t.Fatalf("estimatefee %d below the minimum %d", est, n.params.MinTxFee)
	}
	n.must("generatetoaddress", []any{1, addrs[0]}, nil)
	var bal balanceJSON
	n.must("getbalance", nil, &bal)

	var info walletInfoJSON
	n.must("getwalletinfo", nil, &info)
	if !info.HD || info.NextIndex != 5 || info.Addresses != 5 || info.Locked || !strings.HasPrefix(info.AccountXpub, "xpub") {
		t.Fatalf("getwalletinfo: %+v", info)
	}

	// Backup: absolute paths only; the file opens as the same wallet.
	rpcError(t, n.call("backupwallet", []any{"relative.json"}, nil), CodeInvalidParameter)
	dst := filepath.Join(t.TempDir(), "backup.json")
	n.must("backupwallet", []any{dst}, nil)
	bdir := filepath.Join(t.TempDir(), "w")
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(bdir, 0o700)
	_ = os.WriteFile(filepath.Join(bdir, wallet.FileName), b, 0o600)
	bw, err := wallet.Open(wallet.Config{Dir: bdir, Params: n.params})
	if err != nil {
		t.Fatal(err)
	}
	if len(bw.Addresses()) != 5 {
		t.Fatalf("backup holds %d addresses", len(bw.Addresses()))
	}
	bw.Close()

	// Restore on a second wallet over the same chain: addresses 0..3 are
	// used (mined to, sent to, sent from), 4 is not.
	side := sideNode(t, n)
	rpcError(t, side.call("restorewallet", []any{strings.Replace(created.Mnemonic, " ", "  x ", 1), pass}, nil), CodeInvalidParameter)
	var res restoreJSON
	side.must("restorewallet", []any{strings.ToUpper(created.Mnemonic), pass}, &res)
	if res.Used != 4 || res.NextIndex != 4 || res.Scanned != 4+wallet.DefaultGapLimit {
		t.Fatalf("restorewallet: %+v", res)
	}
	var restored []addressJSON
	side.must("listaddresses", nil, &restored)
	if len(restored) != 4 {
		t.Fatalf("restored %d addresses", len(restored))
	}
	for i, r := range restored {
		if r.Address != addrs[i] {
			t.Fatalf("restored address %d: %s, want %s", i, r.Address, addrs[i])
		}
	}
	var rbal balanceJSON
	side.must("getbalance", nil, &rbal)
	if rbal != bal {
		t.Fatalf("restored balance %+v, original %+v", rbal, bal)
	}
	var next string
	side.must("getnewaddress", nil, &next)
	if next != addrs[4] {
		t.Fatalf("next address after restore %s, want %s", next, addrs[4])
	}
	rpcError(t, side.call("restorewallet", []any{created.Mnemonic, pass}, nil), CodeWallet) // exists now
	var raw json.RawMessage
	rpcError(t, side.call("restorewallet", []any{created.Mnemonic, pass, 0}, &raw), CodeInvalidParameter)
}
