package rpc

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/wallet"
)

// maxListTxs bounds listtransactions' count + skip.
const maxListTxs = 10000

func (s *Server) walletMethods() []method {
	return []method{
		{name: "createwallet", params: []string{"passphrase"}, required: 1, fn: s.createWallet, errs: walletErrs(CodeInvalidParameter),
			summary: "Create the node's HD wallet, encrypted with passphrase; it starts locked.",
			detail: fmt.Sprintf("passphrase: at least %d characters. Result: {locked, hd, mnemonic, accountpath, keypool}: "+
				"mnemonic is the %d-word BIP-39 recovery phrase, returned only here: write it down.", wallet.MinPassphraseLen, wallet.MnemonicWords)},
		{name: "restorewallet", params: []string{"mnemonic", "passphrase", "gaplimit"}, required: 2, fn: s.restoreWallet,
			errs:    walletErrs(CodeInvalidParameter),
			summary: "Create the node's wallet from a BIP-39 recovery phrase and find its used addresses.",
			detail: fmt.Sprintf("Derives receiving addresses in order and looks each up in the address index (no rescan), "+
				"stopping after gaplimit (default %d, at most %d) unused ones in a row. Result: {locked, used, scanned, nextindex}.",
				wallet.DefaultGapLimit, wallet.MaxGapLimit)},
		{name: "backupwallet", params: []string{"destination"}, required: 1, fn: s.backupWallet, errs: walletErrs(CodeInvalidParameter),
			summary: "Write the encrypted wallet file to destination (a path on the node's machine), atomically.",
			detail:  "destination must be absolute. The backup opens with the same passphrase. Result: {file}."},
		{name: "getwalletinfo", fn: s.getWalletInfo, errs: walletErrs(),
			summary: "The wallet's kind and state: {hd, accountpath, accountxpub, nextindex, addresses, keypool, locked, unlockeduntil}."},
		{name: "walletpassphrase", params: []string{"passphrase", "timeout"}, required: 2, fn: s.walletPassphrase,
			errs:    walletErrs(CodeInvalidParameter, CodeWrongPassphrase),
			summary: "Unlock the wallet for timeout seconds.",
			detail:  fmt.Sprintf("timeout: 1 to %d seconds. Wrong passphrase: code -14.", int64(wallet.MaxUnlockDuration/time.Second))},
		{name: "walletlock", fn: s.walletLock, errs: walletErrs(),
			summary: "Lock the wallet now."},
		{name: "getnewaddress", params: []string{"label"}, fn: s.getNewAddress, errs: walletErrs(CodeWalletLocked),
			summary: "A fresh receiving address (works while locked until the keypool runs out)."},
		{name: "listaddresses", fn: s.listAddresses, errs: walletErrs(),
			summary: "The wallet's addresses: [{address, label, imported, createdtime, balance, nonce}]."},
		{name: "getbalance", fn: s.getBalance, errs: walletErrs(),
			summary: "Wallet balance: {confirmed, pending}.",
			detail: "confirmed: sum of the wallet accounts' balances at the tip. pending: confirmed minus the wallet's " +
				"mempool spends (amount + fee) plus incoming mempool amounts."},
		{name: "sendtoaddress", params: []string{"address", "amount", "fee", "from"}, required: 2, fn: s.sendToAddress,
			errs:    walletErrs(CodeInvalidParameter, CodeWalletLocked, CodeInsufficientFunds, CodeRejected, CodeMempoolRejected),
			summary: "Send amount (base units, or \"all\") to address from one wallet address; returns the txid.",
			detail: "amount \"all\": the sending address's whole spendable balance less the fee (-6 if it does not exceed the fee). " +
				"fee: base units; default estimatefee. from: the wallet address to spend from (default: the one " +
				"with the most spendable coins). Errors: -13 locked, -6 insufficient funds."},
		{name: "estimatefee", fn: s.estimateFeeMethod,
			summary: "The fee (base units) sendtoaddress pays by default.",
			detail: "max(network minimum, median fee of the last 10 blocks, and the 75th percentile of the mempool " +
				"when it holds more than half a block)."},
		{name: "listtransactions", params: []string{"count", "skip"}, fn: s.listTransactions, errs: walletErrs(CodeInvalidParameter),
			summary: "Wallet transactions, newest first (mempool, then chain).",
			detail: "count default 10, skip default 0. Entries: {txid, category (send, receive, generate), address, " +
				"from, amount, fee, confirmations, blockhash, height, time}; amounts are positive, category gives the direction."},
		{name: "importprivkey", params: []string{"privkey", "passphrase", "label"}, required: 2, fn: s.importPrivKey,
			errs:    walletErrs(CodeWrongPassphrase),
			summary: "Add a private key (64 hex characters) to the wallet; returns its address."},
		{name: "dumpprivkey", params: []string{"address", "passphrase"}, required: 2, fn: s.dumpPrivKey,
			errs:    walletErrs(CodeWrongPassphrase),
			summary: "The private key of a wallet address, as 64 hex characters."},
	}
}

// walletErrs lists a wallet method's codes: every one can find no wallet
// or fail in the wallet, besides its own.
func walletErrs(own ...int) []int { return append(own, CodeNoWallet, CodeWallet) }

// wallet returns the loaded wallet or the error that says how to get one.
func (s *Server) wallet() (Wallet, error) {
	if s.b.Wallet == nil {
		return nil, newError(CodeNoWallet, "this node runs without a wallet")
	}
	w, err := s.b.Wallet.Wallet()
	if err != nil {
		return nil, walletError(err)
	}
	return w, nil
}

func (s *Server) walletPassphrase(_ context.Context, a *args) (any, error) {
	pass, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	secs, err := a.uint(1, 0)
	if err != nil {
		return nil, err
	}
	maxSecs := uint64(wallet.MaxUnlockDuration / time.Second)
	if secs < 1 || secs > maxSecs {
		return nil, invalidParameter("timeout must be between 1 and %d seconds, got %d", maxSecs, secs)
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	if err := w.Unlock([]byte(pass), time.Duration(secs)*time.Second); err != nil {
		return nil, walletError(err)
	}
	return nil, nil
}

func (s *Server) walletLock(context.Context, *args) (any, error) {
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	w.Lock()
	return nil, nil
}

func (s *Server) getNewAddress(_ context.Context, a *args) (any, error) {
	label, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	addr, err := w.NewAddress(label)
	if err != nil {
		return nil, walletError(err)
	}
	return addr.Encode(s.b.Params.AddressHRP), nil
}

type addressJSON struct {
	Address     string `json:"address"`
	Label       string `json:"label"`
	Imported    bool   `json:"imported"`
	CreatedTime int64  `json:"createdtime"`
	Balance     uint64 `json:"balance"`
	Nonce       uint64 `json:"nonce"`
}

func (s *Server) listAddresses(context.Context, *args) (any, error) {
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	out := []addressJSON{}
	for _, ai := range w.Addresses() {
		acct, err := s.b.Chain.Account(ai.Address)
		if err != nil {
			return nil, err
		}
		out = append(out, addressJSON{Address: ai.Address.Encode(s.b.Params.AddressHRP), Label: ai.Label,
			Imported: ai.Imported, CreatedTime: ai.CreatedAt.Unix(), Balance: acct.Balance, Nonce: acct.Nonce})
	}
	return out, nil
}

type balanceJSON struct {
	Confirmed uint64 `json:"confirmed"`
	Pending   uint64 `json:"pending"`
}

func (s *Server) getBalance(context.Context, *args) (any, error) {
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	var out balanceJSON
	for _, ai := range w.Addresses() {
		acct, err := s.b.Chain.Account(ai.Address)
		if err != nil {
			return nil, err
		}
		// The pool keeps each sender's spends within its balance; clamp anyway
		// since the tip may have moved between the two reads.
		pending := acct.Balance - min(acct.Balance, s.b.Mempool.PendingSpend(ai.Address))
		for _, tx := range s.b.Mempool.TxsTouching(ai.Address) {
			if tx.To == ai.Address {
				pending += tx.Amount
			}
		}
		out.Confirmed += acct.Balance
		out.Pending += pending
	}
	return out, nil
}

func (s *Server) importPrivKey(_ context.Context, a *args) (any, error) {
	key, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	pass, err := a.str(1, "")
	if err != nil {
		return nil, err
	}
	label, err := a.str(2, "")
	if err != nil {
		return nil, err
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	addr, err := w.ImportPrivKey(key, []byte(pass), label)
	if err != nil {
		return nil, walletError(err)
	}
	return addr.Encode(s.b.Params.AddressHRP), nil
}

func (s *Server) dumpPrivKey(_ context.Context, a *args) (any, error) {
	addr, err := a.address(0)
	if err != nil {
		return nil, err
	}
	pass, err := a.str(1, "")
	if err != nil {
		return nil, err
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	key, err := w.DumpPrivKey(addr, []byte(pass))
	if err != nil {
		return nil, walletError(err)
	}
	return key, nil
}

type listTxJSON struct {
	TxID          string  `json:"txid"`
	Category      string  `json:"category"` // send, receive or generate
	Address       string  `json:"address"`  // recipient for send, our address otherwise
	From          string  `json:"from,omitempty"`
	Amount        uint64  `json:"amount"`
	Fee           uint64  `json:"fee"` // 0 unless we paid it (send)
	Confirmations uint64  `json:"confirmations"`
	BlockHash     string  `json:"blockhash,omitempty"`
	Height        *uint64 `json:"height,omitempty"`
	Time          int64   `json:"time,omitempty"`
}

func (s *Server) listTransactions(_ context.Context, a *args) (any, error) {
	count, err := a.uint(0, 10)
	if err != nil {
		return nil, err
	}
	skip, err := a.uint(1, 0)
	if err != nil {
		return nil, err
	}
	if count > maxListTxs || skip > maxListTxs {
		return nil, invalidParameter("count and skip must be at most %d", maxListTxs)
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	mine := map[consensus.Address]bool{}
	addrs := w.Addresses()
	for _, ai := range addrs {
		mine[ai.Address] = true
	}
	need := int(count + skip)
	out := []listTxJSON{}
	seen := map[consensus.Hash]bool{}
	// Mempool first: it is newer than any block. Later nonces are newer.
	for _, ai := range addrs {
		txs := s.b.Mempool.TxsTouching(ai.Address)
		for i := len(txs) - 1; i >= 0; i-- {
			id := txs[i].ID()
			if !seen[id] {
				seen[id] = true
				out = append(out, s.listEntries(txs[i], id, mine, listTxJSON{})...)
			}
		}
	}
	// Chain: merge each address's newest-first index by (height, index).
	type loc struct {
		id     consensus.Hash
		height uint64
		index  uint32
	}
	var locs []loc
	for _, ai := range addrs {
		ents, err := s.b.Chain.AddressTxs(ai.Address, need, 0)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !seen[e.TxID] {
				seen[e.TxID] = true
				locs = append(locs, loc{e.TxID, e.Height, e.Index})
			}
		}
	}
	sort.Slice(locs, func(i, j int) bool {
		if locs[i].height != locs[j].height {
			return locs[i].height > locs[j].height
		}
		return locs[i].index > locs[j].index
	})
	tip := s.b.Chain.Tip()
	for _, l := range locs {
		if len(out) >= need {
			break
		}
		tx, txLoc, err := s.b.Chain.Tx(l.id)
		if err != nil {
			return nil, err // the index just listed it; a reorg raced us
		}
		height := l.height
		base := listTxJSON{BlockHash: txLoc.BlockHash.String(), Height: &height}
		if tip.Height >= height {
			base.Confirmations = tip.Height - height + 1
		}
		if bi, err := s.b.Chain.BlockInfo(txLoc.BlockHash); err == nil {
			base.Time = bi.Header.Timestamp
		}
		out = append(out, s.listEntries(tx, l.id, mine, base)...)
	}
	if int(skip) >= len(out) {
		return []listTxJSON{}, nil
	}
	out = out[skip:]
	if len(out) > int(count) {
		out = out[:count]
	}
	return out, nil
}

// listEntries turns a tx into wallet entries: a send if we sent it, a
// receive (or generate for a coinbase) if we received it; both for a
// transfer between two wallet addresses.
func (s *Server) listEntries(tx *consensus.Tx, id consensus.Hash, mine map[consensus.Address]bool, base listTxJSON) []listTxJSON {
	hrp := s.b.Params.AddressHRP
	base.TxID, base.Amount = id.String(), tx.Amount
	var out []listTxJSON
	if tx.IsCoinbase() {
		if mine[tx.To] {
			e := base
			e.Category, e.Address = "generate", tx.To.Encode(hrp)
			out = append(out, e)
		}
		return out
	}
	from := tx.Sender()
	if mine[from] {
		e := base
		e.Category, e.Address, e.From, e.Fee = "send", tx.To.Encode(hrp), from.Encode(hrp), tx.Fee
		out = append(out, e)
	}
	if mine[tx.To] {
		e := base
		e.Category, e.Address, e.From = "receive", tx.To.Encode(hrp), from.Encode(hrp)
		out = append(out, e)
	}
	return out
}
