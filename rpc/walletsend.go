package rpc

import (
	"context"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/wallet"
)

func (s *Server) estimateFeeMethod(context.Context, *args) (any, error) {
	return s.estimateFee()
}

func (s *Server) sendToAddress(_ context.Context, a *args) (any, error) {
	to, err := a.address(0)
	if err != nil {
		return nil, err
	}
	// amount "all": the whole spendable balance of the sending address
	// less the fee (bitcoin-cli's subtractfeefromamount, for an account).
	all := kind(a.vals[1]) == '"'
	var amount uint64
	if all {
		if s, _ := a.str(1, ""); s != "all" {
			return nil, invalidParams("amount must be a number (base units) or \"all\", got %q", s)
		}
	} else if amount, err = a.uint(1, 0); err != nil {
		return nil, err
	}
	if amount == 0 && !all {
		return nil, invalidParameter("amount must be positive (base units; 1 %s = %d)", wallet.Unit, consensus.Coin)
	}
	fee, err := a.uint(2, 0)
	if err != nil {
		return nil, err
	}
	if a.has(2) && fee < s.b.Params.MinTxFee {
		return nil, invalidParameter("fee %s is below the network minimum %s", feeText(fee), feeText(s.b.Params.MinTxFee))
	}
	if amount+fee < amount {
		return nil, invalidParameter("amount + fee overflows")
	}
	var from *consensus.Address
	if a.has(3) {
		f, err := a.address(3)
		if err != nil {
			return nil, err
		}
		from = &f
	}
	w, err := s.wallet()
	if err != nil {
		return nil, err
	}
	if !a.has(2) {
		if fee, err = s.estimateFee(); err != nil {
			return nil, err
		}
	}
	// Build and submit under one lock: the nonce BuildSend picks is only
	// free until the pool has this tx.
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	view := struct {
		ChainAPI
		MempoolAPI
	}{s.b.Chain, s.b.Mempool}
	var tx *consensus.Tx
	switch {
	case all:
		tx, err = w.BuildSendAll(view, from, to, fee, nil)
	case from != nil:
		tx, err = w.BuildSendFrom(view, *from, to, amount, fee, nil)
	default:
		tx, err = w.BuildSend(view, to, amount, fee, nil)
	}
	if err != nil {
		return nil, walletError(err)
	}
	res, err := s.submitTx(tx)
	if err != nil {
		return nil, err
	}
	// Remembered until it confirms, so a restart or crash cannot lose it
	// (the node rebroadcasts what the mempool no longer holds).
	if oerr := w.Outbox().Add(tx, s.cfg.Now()); oerr != nil {
		s.log.Warn("payment sent but not recorded in the wallet outbox", "txid", tx.ID(), "err", oerr)
	}
	return res, nil
}
