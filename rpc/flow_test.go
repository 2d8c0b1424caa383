package rpc

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// TestWalletFlow drives a node the way a user would: create a wallet, mine,
// send between two wallet addresses, confirm, and inspect the result.
func TestWalletFlow(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	p := n.params
	hrp := p.AddressHRP
	subsidy := p.Subsidy(1)

	n.must("createwallet", []any{"correct horse"}, nil)
	n.must("walletpassphrase", map[string]any{"passphrase": "correct horse", "timeout": 600}, nil)
	var from, to string
	n.must("getnewaddress", []any{"savings"}, &from)
	n.must("getnewaddress", map[string]any{"label": "spending"}, &to)

	var hashes []string
	n.must("generatetoaddress", []any{101, from}, &hashes)
	if len(hashes) != 101 {
		t.Fatalf("generated %d blocks", len(hashes))
	}
	var height uint64
	n.must("getblockcount", nil, &height)
	var best string
	n.must("getbestblockhash", nil, &best)
	if height != 101 || best != hashes[100] {
		t.Fatalf("height %d best %s, want 101 %s", height, best, hashes[100])
	}
	start := account(t, n, from)
	if start.Balance != 101*subsidy {
		t.Fatalf("miner balance %d, want %d", start.Balance, 101*subsidy)
	}

	const amount = 7 * consensus.Coin
	var txid string
	n.must("sendtoaddress", []any{to, amount}, &txid)
	var pooled walletTxJSON
	n.must("gettransaction", []any{txid}, &pooled)
	fee := pooled.Fee
	if fee != p.MinTxFee || pooled.Confirmations != 0 || pooled.BlockHash != "" || pooled.From != from || pooled.To != to {
		t.Fatalf("pooled tx %+v", pooled)
	}
	var bal balanceJSON
	n.must("getbalance", nil, &bal)
	if bal.Confirmed != start.Balance || bal.Pending != start.Balance-fee {
		t.Fatalf("balance %+v, want confirmed %d pending %d", bal, start.Balance, start.Balance-fee)
	}
	var pool []string
	n.must("getrawmempool", nil, &pool)
	var info mempoolInfoJSON
	n.must("getmempoolinfo", nil, &info)
	if len(pool) != 1 || pool[0] != txid || info.Size != 1 || info.Accepted != 1 {
		t.Fatalf("mempool %v info %+v", pool, info)
	}

	// Confirm to an outside address so the wallet balances move only by the tx.
	outsider := keyAddr(testKey("outsider"))
	n.must("generatetoaddress", []any{1, outsider.Encode(hrp)}, &hashes)
	if got := account(t, n, from); got.Balance != start.Balance-amount-fee || got.Nonce != 1 {
		t.Fatalf("sender %+v, want balance %d nonce 1", got, start.Balance-amount-fee)
	}
	if got := account(t, n, to); got.Balance != amount {
		t.Fatalf("receiver %+v, want %d", got, amount)
	}
	var mined walletTxJSON
	n.must("gettransaction", []any{txid}, &mined)
	if mined.Confirmations != 1 || mined.BlockHash != hashes[0] || mined.Height == nil || *mined.Height != 102 {
		t.Fatalf("mined tx %+v", mined)
	}
	n.must("getmempoolinfo", nil, &info)
	if info.Size != 0 || info.Included != 1 {
		t.Fatalf("mempool after block %+v", info)
	}

	var list []listTxJSON
	n.must("listtransactions", nil, &list)
	if len(list) != 10 {
		t.Fatalf("listtransactions returned %d entries", len(list))
	}
	cats := map[string]listTxJSON{}
	for _, e := range list[:2] {
		if e.TxID != txid {
			t.Fatalf("newest entries %+v, want tx %s first", list[:2], txid)
		}
		cats[e.Category] = e
	}
	if s, r := cats["send"], cats["receive"]; s.Fee != fee || s.Amount != amount || s.Address != to || r.Address != to || r.Confirmations != 1 {
		t.Fatalf("send %+v receive %+v", s, r)
	}
	if g := list[2]; g.Category != "generate" || g.Address != from || *g.Height != 101 || g.Confirmations != 2 {
		t.Fatalf("third entry %+v", g)
	}
	n.must("listtransactions", map[string]any{"count": 5, "skip": 100}, &list)
	if len(list) != 3 || list[2].Category != "generate" || *list[2].Height != 1 {
		t.Fatalf("tail of history %+v", list)
	}

	var addrs []addressJSON
	n.must("listaddresses", nil, &addrs)
	if len(addrs) != 2 || addrs[0].Label != "savings" || addrs[1].Balance != amount {
		t.Fatalf("addresses %+v", addrs)
	}

	var state stateInfoJSON
	n.must("getstateinfo", nil, &state)
	if state.Height != 102 || state.TotalBalance != 102*subsidy || state.Accounts != 3 || state.BestHash != hashes[0] {
		t.Fatalf("state %+v", state)
	}

	t.Run("blocks", func(t *testing.T) { checkBlocks(t, n, txid, hashes[0]) })
	t.Run("mining", func(t *testing.T) { checkMining(t, n, outsider) })
	t.Run("keys", func(t *testing.T) { checkKeys(t, n, from) })
	t.Run("control", func(t *testing.T) { checkControl(t, n) })
}

func account(t *testing.T, n *testNode, addr string) accountJSON {
	t.Helper()
	var a accountJSON
	n.must("getaccount", []any{addr}, &a)
	if a.Address != addr {
		t.Fatalf("getaccount echoed %s for %s", a.Address, addr)
	}
	return a
}

func checkBlocks(t *testing.T, n *testNode, txid, tip string) {
	var ids blockJSON
	n.must("getblock", []any{tip}, &ids)
	if ids.Height != 102 || ids.NTx != 2 || ids.Confirmations != 1 || ids.PrevHash == "" || ids.Difficulty != 1 {
		t.Fatalf("getblock %+v", ids)
	}
	if tx := ids.Tx.([]any); tx[1] != txid {
		t.Fatalf("tx ids %v", tx)
	}
	var full struct {
		Tx []txJSON `json:"tx"`
	}
	n.must("getblock", map[string]any{"hash": tip, "verbosity": 2}, &full)
	if len(full.Tx) != 2 || full.Tx[0].Kind != "coinbase" || full.Tx[1].TxID != txid {
		t.Fatalf("verbose block %+v", full)
	}
	var raw string
	n.must("getblock", []any{tip, 0}, &raw)
	b, err := hex.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := consensus.DecodeBlock(b)
	if err != nil || blk.Hash().String() != tip {
		t.Fatalf("raw block: %v", err)
	}
	var hdr headerJSON
	n.must("getblockheader", []any{n.params.GenesisHash.String()}, &hdr)
	if hdr.Height != 0 || hdr.Confirmations != 103 || hdr.NextHash == "" || hdr.PrevHash != "" || len(hdr.ChainWork) != 64 {
		t.Fatalf("genesis header %+v", hdr)
	}
	var tips []chainTipJSON
	n.must("getchaintips", nil, &tips)
	if len(tips) != 1 || tips[0].Hash != tip || tips[0].Status != "active" {
		t.Fatalf("tips %+v", tips)
	}
	var bci blockchainInfo
	n.must("getblockchaininfo", nil, &bci)
	if bci.Network != "regtest" || bci.Height != 102 || bci.Headers != 102 || bci.BestHash != tip || bci.Difficulty != 1 {
		t.Fatalf("blockchaininfo %+v", bci)
	}
	var dup any
	n.must("submitblock", []any{raw}, &dup)
	if dup != "duplicate" {
		t.Fatalf("resubmitted block: %v", dup)
	}
}

func checkMining(t *testing.T, n *testNode, outsider consensus.Address) {
	hrp := n.params.AddressHRP
	// The outsider now has coins: it pays the wallet with a raw transfer,
	// which a template then includes.
	var wallets []addressJSON
	n.must("listaddresses", nil, &wallets)
	to, _ := consensus.DecodeAddress(wallets[1].Address, hrp)
	_, rawTx := signedTransfer(t, n.params, testKey("outsider"), 0, to, 1234, 5000)
	var txid string
	n.must("sendrawtransaction", []any{rawTx}, &txid)
	var bal balanceJSON
	n.must("getbalance", nil, &bal)
	if bal.Pending != bal.Confirmed+1234 {
		t.Fatalf("incoming payment not pending: %+v", bal)
	}

	var tmpl blockTemplateJSON
	n.must("getblocktemplate", nil, &tmpl)
	if tmpl.Height != 103 || tmpl.BlockHex != "" || len(tmpl.Transactions) != 1 || tmpl.Transactions[0].TxID != txid ||
		tmpl.CoinbaseValue != n.params.Subsidy(103)+5000 {
		t.Fatalf("template %+v", tmpl)
	}
	blk := n.template(outsider)
	solve(t, n.params, blk)
	var res any = "unset"
	n.must("submitblock", []any{blockHex(blk)}, &res)
	if res != nil {
		t.Fatalf("submitblock returned %v", res)
	}
	var height uint64
	n.must("getblockcount", nil, &height)
	if height != 103 {
		t.Fatalf("height %d after submitblock", height)
	}

	// A block whose coinbase overpays passes stage 1 and 2 and fails to
	// connect; the error still names the rule.
	bad := n.template(outsider)
	bad.Txs[0].Amount++
	bad.Header.MerkleRoot = consensus.MerkleRoot(bad.TxIDs())
	solve(t, n.params, bad)
	e := rpcError(t, n.call("submitblock", []any{blockHex(bad)}, nil), CodeRejected)
	if !strings.Contains(string(e.Data), "ErrBadCoinbaseValue") {
		t.Fatalf("data %s", e.Data)
	}
	n.must("submitblock", []any{blockHex(bad)}, &res)
	if res != "duplicate-invalid" {
		t.Fatalf("resubmitted invalid block: %v", res)
	}

	tip := blk.Hash().String()
	n.must("invalidateblock", []any{tip}, nil)
	n.must("getblockcount", nil, &height)
	if height != 102 {
		t.Fatalf("height %d after invalidateblock", height)
	}
	n.must("reconsiderblock", []any{tip}, nil)
	n.must("getblockcount", nil, &height)
	if height != 103 {
		t.Fatalf("height %d after reconsiderblock", height)
	}
	var mi miningInfoJSON
	n.must("getmininginfo", nil, &mi)
	if mi.Blocks != 103 || mi.Chain != "regtest" || mi.Hashes == 0 || mi.Difficulty != 1 {
		t.Fatalf("mininginfo %+v", mi)
	}
}

func checkKeys(t *testing.T, n *testNode, from string) {
	var key string
	n.must("dumpprivkey", []any{from, "correct horse"}, &key)
	if len(key) != 64 {
		t.Fatalf("key %q", key)
	}
	var again string
	n.must("importprivkey", []any{key, "correct horse", "dup"}, &again)
	if again != from {
		t.Fatalf("importing our own key gave %s, want %s", again, from)
	}
	var imported string
	n.must("importprivkey", map[string]any{"privkey": strings.Repeat("42", 32), "passphrase": "correct horse"}, &imported)
	var addrs []addressJSON
	n.must("listaddresses", nil, &addrs)
	if len(addrs) != 3 || !addrs[2].Imported || addrs[2].Address != imported {
		t.Fatalf("addresses after import %+v", addrs)
	}
	n.must("walletlock", nil, nil)
	rpcError(t, n.call("sendtoaddress", []any{from, 1000}, nil), CodeWalletLocked)
}

func checkControl(t *testing.T, n *testNode) {
	var up int64
	n.must("uptime", nil, &up)
	if up < 0 {
		t.Fatalf("uptime %d", up)
	}
	var all string
	n.must("help", nil, &all)
	listed := map[string]bool{}
	for _, line := range strings.Split(all, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] != "==" {
			listed[f[0]] = true
		}
	}
	if len(listed) != len(n.srv.methods) {
		t.Errorf("help lists %d methods, the table has %d", len(listed), len(n.srv.methods))
	}
	for name := range n.srv.methods {
		if !listed[name] {
			t.Errorf("help does not list %s", name)
		}
	}
	var one string
	n.must("help", []any{"getblock"}, &one)
	if !strings.HasPrefix(one, "getblock hash [verbosity]") || !strings.Contains(one, "verbosity: 0") {
		t.Fatalf("help getblock: %q", one)
	}
	var msg string
	n.must("stop", nil, &msg)
	select {
	case <-n.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Backend.Stop was not called")
	}
}
