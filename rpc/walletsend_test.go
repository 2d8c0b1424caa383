package rpc

import (
	"strings"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

// sendtoaddress with amount "all": the sending address's whole spendable
// balance less the fee goes out, and it ends at 0 once mined.
func TestSendToAddressAll(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	const pass = "correct horse"
	n.must("createwallet", []any{pass}, nil)
	var a, b string
	n.must("getnewaddress", nil, &a)
	n.must("getnewaddress", nil, &b)
	miner := consensus.Address{0x42}.Encode(n.params.AddressHRP) // not the wallet's
	n.must("generatetoaddress", []any{2, a}, nil)
	n.must("walletpassphrase", []any{pass, 60}, nil)

	for _, tc := range []struct {
		name   string
		params []any
		code   int
		msg    string
	}{
		{"not all", []any{b, "ALL"}, CodeInvalidParams, `or "all"`},
		{"empty from", []any{miner, "all", nil, b}, CodeInsufficientFunds, "the --from address has 0 CAIRN"},
		{"fee above the balance", []any{miner, "all", 1000 * consensus.Coin}, CodeInsufficientFunds, "sending all needs more than the fee 1000 CAIRN"},
	} {
		e := rpcError(t, n.call("sendtoaddress", tc.params, nil), tc.code)
		if !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %q, want %q", tc.name, e.Message, tc.msg)
		}
	}

	var before accountJSON
	n.must("getaccount", []any{a}, &before)
	fee := 3 * n.params.MinTxFee
	var txid string
	n.must("sendtoaddress", []any{b, "all", fee}, &txid)
	var tx walletTxJSON
	n.must("gettransaction", []any{txid}, &tx)
	if tx.From != a || tx.To != b || tx.Fee != fee || tx.Amount != before.Balance-fee {
		t.Fatalf("send all: %+v, want %d from %s", tx.txJSON, before.Balance-fee, a)
	}
	// Nothing is left to send from a while the payment is pending.
	rpcError(t, n.call("sendtoaddress", []any{miner, "all", nil, a}, nil), CodeInsufficientFunds)
	n.must("generatetoaddress", []any{1, miner}, nil)
	var after, got accountJSON
	n.must("getaccount", []any{a}, &after)
	n.must("getaccount", []any{b}, &got)
	if after.Balance != 0 || got.Balance != before.Balance-fee {
		t.Fatalf("after the block: a has %d, b %d; want 0 and %d", after.Balance, got.Balance, before.Balance-fee)
	}
}
