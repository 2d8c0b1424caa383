package wallet

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// mapView is a ChainView over fixed maps.
type mapView struct {
	accts   map[consensus.Address]consensus.Account
	pending map[consensus.Address]uint64
	err     error
}

func (v *mapView) Account(a consensus.Address) (consensus.Account, error) { return v.accts[a], v.err }

func (v *mapView) NextNonce(a consensus.Address) (uint64, error) {
	return v.accts[a].Nonce + 1, nil // pretend one tx of each sender is pooled
}

func (v *mapView) PendingSpend(a consensus.Address) uint64 { return v.pending[a] }

func TestBuildSend(t *testing.T) {
	w, cfg, c := newTestWallet(t)
	fee := cfg.Params.MinTxFee
	var addrs []consensus.Address
	for range 3 {
		c.Advance(time.Second)
		a, err := w.NewAddress("")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	coin := consensus.Coin
	view := &mapView{
		accts: map[consensus.Address]consensus.Account{
			addrs[0]: {Balance: 5 * coin, Nonce: 1},
			addrs[1]: {Balance: 20 * coin, Nonce: 4}, // mostly spent by pool txs
			addrs[2]: {Balance: 10 * coin, Nonce: 6},
		},
		pending: map[consensus.Address]uint64{addrs[1]: 18 * coin},
	}
	to := consensus.Address{0xee}

	if _, err := w.BuildSend(view, to, coin, fee, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("BuildSend while locked: %v, want ErrLocked", err)
	}
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}

	tx, err := w.BuildSend(view, to, 3*coin, fee, []byte("rent"))
	if err != nil {
		t.Fatal(err)
	}
	if tx.Sender() != addrs[2] || tx.Nonce != 7 || tx.Amount != 3*coin || tx.VerifySignature() != nil {
		t.Fatalf("BuildSend picked %x nonce %d; want largest spendable %x nonce 7", tx.Sender(), tx.Nonce, addrs[2])
	}

	for _, tc := range []struct {
		name                   string
		amount                 uint64
		wantAvail, wantNeeded  uint64
		wantText, wantNotInMsg string
	}{
		// Total spendable is 17 coins, but one address holds at most 10.
		{"split across addresses", 12 * coin, 10 * coin, 12*coin + fee, "consolidate", ""},
		{"not enough at all", 30 * coin, 10 * coin, 30*coin + fee, "need 30.00001 CAIRN", "consolidate"},
	} {
		_, err := w.BuildSend(view, to, tc.amount, fee, nil)
		var ife *InsufficientFundsError
		if !errors.Is(err, ErrInsufficientFunds) || !errors.As(err, &ife) {
			t.Fatalf("%s: %v, want ErrInsufficientFunds", tc.name, err)
		}
		if ife.Available != tc.wantAvail || ife.Needed != tc.wantNeeded || ife.Total != 17*coin {
			t.Errorf("%s: %+v", tc.name, ife)
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.wantText) || (tc.wantNotInMsg != "" && strings.Contains(msg, tc.wantNotInMsg)) {
			t.Errorf("%s: message %q", tc.name, msg)
		}
	}

	// --from: spends from that address even though another holds more.
	tx, err = w.BuildSendFrom(view, addrs[0], to, coin, fee, nil)
	if err != nil || tx.Sender() != addrs[0] || tx.VerifySignature() != nil {
		t.Fatalf("BuildSendFrom: %v, sender %x, want %x", err, tx.Sender(), addrs[0])
	}
	_, err = w.BuildSendFrom(view, addrs[0], to, 9*coin, fee, nil)
	var ife *InsufficientFundsError
	if !errors.As(err, &ife) || !ife.From || !strings.Contains(err.Error(), "the --from address has") {
		t.Fatalf("BuildSendFrom over its balance: %v", err)
	}
	if _, err := w.BuildSendFrom(view, consensus.Address{7}, to, coin, fee, nil); !errors.Is(err, ErrUnknownAddress) {
		t.Fatalf("BuildSendFrom a stranger: %v", err)
	}

	view.err = errors.New("db closed")
	if _, err := w.BuildSend(view, to, coin, fee, nil); err == nil || !strings.Contains(err.Error(), "db closed") {
		t.Fatalf("view error not reported: %v", err)
	}
}

func TestBuildSendEmptyWallet(t *testing.T) {
	w, cfg, _ := newTestWallet(t)
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := w.BuildSend(&mapView{}, consensus.Address{1}, 1, cfg.Params.MinTxFee, nil)
	if !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("BuildSend from empty wallet: %v", err)
	}
}

func TestBuildSendAll(t *testing.T) {
	w, cfg, c := newTestWallet(t)
	fee := cfg.Params.MinTxFee
	var addrs []consensus.Address
	for range 3 {
		c.Advance(time.Second)
		a, err := w.NewAddress("")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	coin := consensus.Coin
	view := &mapView{
		accts: map[consensus.Address]consensus.Account{
			addrs[0]: {Balance: fee, Nonce: 1},       // exactly the fee: nothing to send
			addrs[1]: {Balance: 20 * coin, Nonce: 4}, // 18 coins already spent by pool txs
			addrs[2]: {Balance: 10 * coin, Nonce: 6},
		},
		pending: map[consensus.Address]uint64{addrs[1]: 18 * coin},
	}
	to := consensus.Address{0xee}
	if _, err := w.BuildSendAll(view, nil, to, fee, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("BuildSendAll while locked: %v, want ErrLocked", err)
	}
	if err := w.Unlock(pass, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		from       *consensus.Address
		fee        uint64
		wantSender consensus.Address
		wantAmount uint64
		wantErr    string // empty: success
	}{
		{"richest spendable, not richest confirmed", nil, fee, addrs[2], 10*coin - fee, ""},
		{"bigger fee comes off the amount", nil, coin, addrs[2], 9 * coin, ""},
		{"from, net of its pending spends", &addrs[1], fee, addrs[1], 2*coin - fee, ""},
		{"from holding exactly the fee", &addrs[0], fee, consensus.Address{}, 0,
			"sending all needs more than the fee 0.00001 CAIRN, the --from address has 0.00001 CAIRN spendable"},
		{"fee above every balance", nil, 11 * coin, consensus.Address{}, 0,
			"the best address has 10 CAIRN spendable"},
		{"fee below the network minimum", nil, fee - 1, consensus.Address{}, 0, "fee"},
	} {
		tx, err := w.BuildSendAll(view, tc.from, to, tc.fee, nil)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tx.Sender() != tc.wantSender || tx.Amount != tc.wantAmount || tx.Fee != tc.fee || tx.To != to || tx.VerifySignature() != nil {
			t.Errorf("%s: sender %x amount %d fee %d, want %x %d %d", tc.name, tx.Sender(), tx.Amount, tx.Fee, tc.wantSender, tc.wantAmount, tc.fee)
		}
	}
	_, err := w.BuildSendAll(view, &addrs[0], to, fee, nil)
	if !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("send-all of exactly the fee: %v, want ErrInsufficientFunds", err)
	}
	stranger := consensus.Address{7}
	if _, err := w.BuildSendAll(view, &stranger, to, fee, nil); !errors.Is(err, ErrUnknownAddress) {
		t.Fatalf("BuildSendAll from a stranger: %v", err)
	}
}
