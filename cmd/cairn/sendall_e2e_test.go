package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/wallet"
)

// `wallet send ADDR all` empties one address: the fee comes off the amount,
// the pending balance shows the spend at once, and the address is at 0
// after the block. An empty address and an outsized fee are refused.
func TestWalletSendAll(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, filepath.Join(dir, "node"))
	pf := filepath.Join(dir, "pass")
	_ = os.WriteFile(pf, []byte("correct horse\n"), 0o600)
	n.mustCLI(t, "wallet", "create", "--passphrase-file", pf, "--yes")
	a := n.mustCLI(t, "wallet", "address")
	b := n.mustCLI(t, "wallet", "address")
	outsider := consensus.Address{0xca, 0x1e}.Encode(consensus.RegtestParams().AddressHRP) // not the wallet's
	n.mustCLI(t, "rpc", "generatetoaddress", "3", a)
	rows := listAddrs(t, n)
	balA := rows[0].Balance
	if rows[0].Address != a || balA == 0 {
		t.Fatalf("addresses %+v", rows)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"empty address", []string{"--from", b, "--fee", "0.001"}, "sending all needs more than the fee 0.001 CAIRN, the --from address has 0 CAIRN spendable"},
		{"fee guard", []string{"--fee", wallet.FormatAmount(balA / 2)}, "more than 10% of the"},
		{"fee above the balance", []string{"--fee", wallet.FormatAmount(balA), "--force"}, "sending all needs more than the fee"},
	} {
		args := append([]string{"wallet", "send", outsider, "all", "--passphrase-file", pf}, tc.args...)
		if _, errOut, err := n.cli(t, args...); err == nil || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: %v %q, want %q", tc.name, err, errOut, tc.want)
		}
	}

	const fee = consensus.Coin / 1000 // --fee 0.001
	var sent struct {
		TxID   string `json:"txid"`
		From   string `json:"from"`
		Amount uint64 `json:"amount"`
		Fee    uint64 `json:"fee"`
	}
	out := n.mustCLI(t, "wallet", "send", outsider, "all", "--fee", "0.001", "--passphrase-file", pf, "--json")
	if err := json.Unmarshal([]byte(out), &sent); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sent.From != a || sent.Fee != fee || sent.Amount != balA-sent.Fee || len(sent.TxID) != 64 {
		t.Fatalf("send all: %+v, want %d from %s", sent, balA-fee, a)
	}
	if conf, pend := balance(t, n); conf != balA || pend != 0 {
		t.Fatalf("while pending: balance %d/%d, want %d confirmed, 0 pending", conf, pend, balA)
	}
	n.mustCLI(t, "rpc", "generatetoaddress", "1", outsider)
	if c, ok := confirmations(t, n, sent.TxID); !ok || c != 1 {
		t.Fatalf("send-all not mined: found=%v confirmations=%d", ok, c)
	}
	if rows := listAddrs(t, n); rows[0].Balance != 0 {
		t.Fatalf("after the block %s holds %d, want 0", a, rows[0].Balance)
	}
	if conf, pend := balance(t, n); conf != 0 || pend != 0 {
		t.Fatalf("after the block: balance %d/%d, want 0/0", conf, pend)
	}
	// Text output: the summary names the amount the node chose, in coins.
	n.mustCLI(t, "rpc", "generatetoaddress", "1", b)
	rows = listAddrs(t, n)
	_, errOut, err := n.cli(t, "wallet", "send", outsider, "all", "--fee", "0.001", "--passphrase-file", pf)
	if want := "sent " + wallet.FormatCoins(rows[1].Balance-fee); err != nil || !strings.Contains(errOut, want) {
		t.Fatalf("text summary: %v %q, want %q", err, errOut, want)
	}
}
