package rpc

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

// TestMethodErrors proves every error path answers with a JSON-RPC error
// object carrying the documented code. Cases run in order: some change the
// wallet's lock state for the ones after.
func TestMethodErrors(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	p := n.params
	hrp := p.AddressHRP

	// A funded key outside the wallet, and a wallet with one address.
	funded := testKey("funded")
	fundedAddr := keyAddr(funded)
	n.must("generatetoaddress", []any{1, fundedAddr.Encode(hrp)}, nil)
	n.must("createwallet", []any{"password"}, nil)
	var walletAddr string
	n.must("getnewaddress", nil, &walletAddr)
	stranger := keyAddr(testKey("stranger")).Encode(hrp)

	good := fundedAddr.Encode(hrp)
	last := "q"
	if strings.HasSuffix(good, "q") {
		last = "p"
	}
	badChecksum := good[:len(good)-1] + last
	mainAddr := fundedAddr.Encode(consensus.MainParams().AddressHRP)
	unknownHash := strings.Repeat("ab", 32)
	genesis := p.GenesisHash.String()

	_, okTx := signedTransfer(t, p, funded, 0, keyAddr(testKey("to")), 1000, p.MinTxFee)
	badSig := []byte(okTx)
	badSig[len(badSig)-1] ^= 1 // flip a bit of the signature's hex
	_, otherChain := signedTransfer(t, consensus.TestParams(), funded, 0, fundedAddr, 1, p.MinTxFee)
	_, lowFee := signedTransfer(t, p, funded, 0, fundedAddr, 1, p.MinTxFee-1)
	_, tooMuch := signedTransfer(t, p, funded, 0, fundedAddr, 1000*consensus.Coin, p.MinTxFee)

	badMerkle := n.template(fundedAddr)
	badMerkle.Header.MerkleRoot[0] ^= 1
	solve(t, p, badMerkle)

	// The 404-byte transfer: a signed transfer with a 257-byte memo,
	// one byte over MaxTxSize, which DecodeTx refuses.
	bigMemo := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, To: fundedAddr, Amount: 1, Fee: p.MinTxFee,
		Memo: make([]byte, consensus.MaxMemoSize+1)}
	if err := bigMemo.Sign(funded); err != nil {
		t.Fatal(err)
	}
	tx404 := hex.EncodeToString(bigMemo.Encode())
	if len(tx404) != 2*404 {
		t.Fatalf("transfer is %d bytes, want 404", len(tx404)/2)
	}
	// A block claiming 2^32-1 transactions, and one over the size rule.
	hugeCount := hex.EncodeToString(append(badMerkle.Header.Encode(), 0xff, 0xff, 0xff, 0xff))
	overSize := strings.Repeat("00", p.MaxBlockSize+1)

	unlock := func() { n.must("walletpassphrase", []any{"password", 600}, nil) }

	cases := []struct {
		name     string
		method   string
		params   any
		code     int
		dataCode string // RejectData.Code, when the error has data
		msg      string // substring of the message
		before   func()
	}{
		{name: "unknown method", method: "getblok", code: CodeMethodNotFound},
		{name: "missing param", method: "getblockhash", code: CodeInvalidParams, msg: `"height"`},
		{name: "too many params", method: "getblockhash", params: []any{1, 2}, code: CodeInvalidParams, msg: "at most 1"},
		{name: "unknown named param", method: "getblock", params: map[string]any{"hsh": genesis}, code: CodeInvalidParams, msg: `"hsh"`},
		{name: "string for integer", method: "getblockhash", params: []any{"1"}, code: CodeInvalidParams},
		{name: "negative integer", method: "getblockhash", params: []any{-1}, code: CodeInvalidParams, msg: "negative"},
		{name: "fractional integer", method: "getblockhash", params: []any{1.5}, code: CodeInvalidParams, msg: "integer"},
		{name: "exponent integer", method: "getblockhash", params: []any{json.Number("1e3")}, code: CodeInvalidParams},
		{name: "huge integer", method: "getblockhash", params: []any{json.Number("99999999999999999999999")}, code: CodeInvalidParams, msg: "range"},
		{name: "height above tip", method: "getblockhash", params: []any{5}, code: CodeInvalidParameter},
		{name: "bad hex hash", method: "getblock", params: []any{strings.Repeat("zz", 32)}, code: CodeInvalidParams, msg: "hex"},
		{name: "short hash", method: "getblock", params: []any{"abcd"}, code: CodeInvalidParams, msg: "64"},
		{name: "number for hash", method: "getblock", params: []any{7}, code: CodeInvalidParams, msg: "string"},
		{name: "unknown block", method: "getblock", params: []any{unknownHash}, code: CodeNotFound},
		{name: "unknown block raw", method: "getblock", params: []any{unknownHash, 0}, code: CodeNotFound},
		{name: "bad verbosity", method: "getblock", params: []any{genesis, 3}, code: CodeInvalidParameter},
		{name: "unknown header", method: "getblockheader", params: map[string]any{"hash": unknownHash}, code: CodeNotFound},
		{name: "unknown tx", method: "gettransaction", params: []any{unknownHash}, code: CodeNotFound},
		{name: "bad address checksum", method: "getaccount", params: []any{badChecksum}, code: CodeInvalidParams, msg: "typo"},
		{name: "other network address", method: "getaccount", params: []any{mainAddr}, code: CodeInvalidParams, msg: "another network"},
		{name: "garbage address", method: "getaccount", params: []any{"hello"}, code: CodeInvalidParams, msg: "address"},
		{name: "raw tx not hex", method: "sendrawtransaction", params: []any{"zz"}, code: CodeDecode, dataCode: "ErrDecode", msg: "hex"},
		{name: "raw tx odd-length hex", method: "sendrawtransaction", params: []any{"abc"}, code: CodeDecode, dataCode: "ErrDecode", msg: "odd"},
		{name: "raw tx not a string", method: "sendrawtransaction", params: []any{7}, code: CodeInvalidParams, msg: "string"},
		{name: "raw tx of 404 bytes", method: "sendrawtransaction", params: []any{tx404}, code: CodeDecode, dataCode: "ErrTxTooBig"},
		{name: "raw tx far too long", method: "sendrawtransaction", params: []any{strings.Repeat("ab", 1<<20)}, code: CodeDecode, dataCode: "ErrTxTooBig"},
		{name: "raw tx truncated", method: "sendrawtransaction", params: []any{"00"}, code: CodeDecode, dataCode: "ErrDecode"},
		{name: "raw tx bad signature", method: "sendrawtransaction", params: []any{string(badSig)}, code: CodeRejected, dataCode: "ErrBadSignature"},
		{name: "raw tx other chain", method: "sendrawtransaction", params: []any{otherChain}, code: CodeRejected, dataCode: "ErrWrongChainID"},
		{name: "raw tx fee too low", method: "sendrawtransaction", params: []any{lowFee}, code: CodeRejected, dataCode: "ErrFeeTooLow"},
		{name: "raw tx overspends", method: "sendrawtransaction", params: []any{tooMuch}, code: CodeRejected, dataCode: "ErrInsufficientFunds"},
		{name: "raw tx duplicate", method: "sendrawtransaction", params: []any{okTx}, code: CodeMempoolRejected, dataCode: "ErrAlreadyKnown",
			before: func() { n.must("sendrawtransaction", []any{okTx}, nil) }},
		{name: "block not hex", method: "submitblock", params: []any{"q"}, code: CodeDecode, dataCode: "ErrDecode"},
		{name: "block claims 2^32-1 txs", method: "submitblock", params: []any{hugeCount}, code: CodeDecode, dataCode: "ErrDecode", msg: "tx count"},
		{name: "block over sizelimit", method: "submitblock", params: []any{overSize}, code: CodeRejected, dataCode: "ErrBlockTooBig"},
		{name: "block truncated", method: "submitblock", params: []any{"0000"}, code: CodeDecode, dataCode: "ErrDecode"},
		{name: "block bad merkle root", method: "submitblock", params: []any{blockHex(badMerkle)}, code: CodeRejected, dataCode: "ErrBadMerkleRoot"},
		{name: "invalidate unknown", method: "invalidateblock", params: []any{unknownHash}, code: CodeNotFound},
		{name: "invalidate genesis", method: "invalidateblock", params: []any{genesis}, code: CodeInvalidParameter},
		{name: "reconsider unknown", method: "reconsiderblock", params: []any{unknownHash}, code: CodeNotFound},
		{name: "generate zero", method: "generatetoaddress", params: []any{0, good}, code: CodeInvalidParameter},
		{name: "generate too many", method: "generatetoaddress", params: []any{maxGenerate + 1, good}, code: CodeInvalidParameter},
		{name: "generate bad address", method: "generatetoaddress", params: []any{1, mainAddr}, code: CodeInvalidParams},
		{name: "addnode without p2p", method: "addnode", params: []any{"/ip4/127.0.0.1/tcp/1"}, code: CodeP2PDisabled},
		{name: "disconnect without p2p", method: "disconnectnode", params: []any{"peer"}, code: CodeP2PDisabled},
		{name: "help unknown", method: "help", params: []any{"nope"}, code: CodeInvalidParameter},
		{name: "createwallet twice", method: "createwallet", params: []any{"password"}, code: CodeWallet},
		{name: "createwallet empty", method: "createwallet", params: []any{""}, code: CodeInvalidParameter},
		{name: "wrong passphrase", method: "walletpassphrase", params: []any{"nope", 60}, code: CodeWrongPassphrase},
		{name: "unlock zero seconds", method: "walletpassphrase", params: []any{"password", 0}, code: CodeInvalidParameter},
		{name: "send while locked", method: "sendtoaddress", params: []any{good, 1000}, code: CodeWalletLocked},
		{name: "dump wrong passphrase", method: "dumpprivkey", params: []any{walletAddr, "nope"}, code: CodeWrongPassphrase},
		{name: "dump foreign address", method: "dumpprivkey", params: []any{stranger, "password"}, code: CodeWallet, msg: "not in this wallet"},
		{name: "import bad key", method: "importprivkey", params: []any{"abcd", "password"}, code: CodeWallet, msg: "hex"},
		{name: "import wrong passphrase", method: "importprivkey", params: []any{strings.Repeat("11", 32), "nope"}, code: CodeWrongPassphrase},
		{name: "send zero", method: "sendtoaddress", params: []any{good, 0}, code: CodeInvalidParameter},
		{name: "send negative", method: "sendtoaddress", params: []any{good, -5}, code: CodeInvalidParams, msg: "negative"},
		{name: "send fee below minimum", method: "sendtoaddress", params: []any{good, 5, 1}, code: CodeInvalidParameter},
		{name: "send bad address", method: "sendtoaddress", params: []any{badChecksum, 5}, code: CodeInvalidParams},
		{name: "insufficient funds", method: "sendtoaddress", params: map[string]any{"address": good, "amount": 1000}, code: CodeInsufficientFunds,
			before: unlock},
		{name: "list too many", method: "listtransactions", params: []any{maxListTxs + 1}, code: CodeInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			err := n.call(tc.method, tc.params, nil)
			e := rpcError(t, err, tc.code)
			checkDocumented(t, n, tc.method, tc.code)
			if tc.msg != "" && !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not mention %q", e.Message, tc.msg)
			}
			if tc.dataCode != "" {
				var d RejectData
				if err := json.Unmarshal(e.Data, &d); err != nil || d.Code != tc.dataCode || d.Reason == "" {
					t.Errorf("data %s, want code %s with a reason", e.Data, tc.dataCode)
				}
			}
		})
	}
}

// TestNoWalletAndMainNetwork covers a node without a wallet file and the
// main network's refusal to generate.
func TestNoWalletAndMainNetwork(t *testing.T) {
	n := newTestNode(t, nodeOptions{params: consensus.MainParams()})
	addr := keyAddr(testKey("m")).Encode(n.params.AddressHRP)
	cases := []struct {
		method string
		params any
		code   int
	}{
		{"generatetoaddress", []any{1, addr}, CodeNotAllowed},
		{"getnewaddress", nil, CodeNoWallet},
		{"getbalance", nil, CodeNoWallet},
		{"walletlock", nil, CodeNoWallet},
		{"listtransactions", nil, CodeNoWallet},
		{"sendtoaddress", []any{addr, 5}, CodeNoWallet},
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			rpcError(t, n.call(tc.method, tc.params, nil), tc.code)
			checkDocumented(t, n, tc.method, tc.code)
		})
	}
}

// checkDocumented asserts that help METHOD lists an application error code
// the method returned; JSON-RPC codes (-32xxx) are common to every method.
func checkDocumented(t *testing.T, n *testNode, method string, code int) {
	t.Helper()
	if code <= -32000 || n.srv.methods[method] == nil {
		return
	}
	var help string
	n.must("help", []any{method}, &help)
	if !strings.Contains(help, fmt.Sprintf("%d %s", code, codeText[code])) {
		t.Errorf("%s returned code %d, which its help does not list:\n%s", method, code, help)
	}
}

// TestHelpErrorCodes checks every code a method lists has a description.
func TestHelpErrorCodes(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	for name, m := range n.srv.methods {
		for _, c := range m.errs {
			if codeText[c] == "" {
				t.Errorf("%s lists code %d, which has no description", name, c)
			}
		}
	}
}
