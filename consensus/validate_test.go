package consensus

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/holiman/uint256"
)

func TestCheckBlockSanity(t *testing.T) {
	alice := keyFromSeed("alice")
	bob, miner := seedAddr("bob"), seedAddr("miner")
	tests := []struct {
		name   string
		params func(p *Params)
		mutate func(t *testing.T, p *Params, b *Block)
		// keepMerkle leaves the root as mutate set it; noMine keeps the nonce.
		keepMerkle, noMine bool
		code               ErrorCode
	}{
		{name: "valid", code: 0},
		{name: "valid with 2 workers", code: 0},
		{name: "no txs", mutate: func(t *testing.T, p *Params, b *Block) { b.Txs = nil }, code: ErrNoTxs},
		{name: "too many txs", params: func(p *Params) { p.MaxBlockTxs = 2 }, code: ErrTooManyTxs},
		{name: "block too big", params: func(p *Params) { p.MaxBlockSize = HeaderSize + 100 }, code: ErrBlockTooBig},
		{name: "first tx not coinbase", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs[0], b.Txs[1] = b.Txs[1], b.Txs[0]
		}, code: ErrBadCoinbase},
		{name: "coinbase pays other than header miner", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Header.Miner = bob
		}, code: ErrBadCoinbase},
		{name: "second coinbase", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs = append(b.Txs, coinbase(p, 9, miner, 1))
		}, code: ErrMultipleCoinbase},
		{name: "bad merkle root", keepMerkle: true, mutate: func(t *testing.T, p *Params, b *Block) {
			b.Header.MerkleRoot[0] ^= 1
		}, code: ErrBadMerkleRoot},
		{name: "merkle over reordered txs", keepMerkle: true, mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs[1], b.Txs[2] = b.Txs[2], b.Txs[1]
		}, code: ErrBadMerkleRoot},
		{name: "duplicate tx", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs = append(b.Txs, b.Txs[1])
		}, code: ErrDuplicateTx},
		{name: "transfer for another chain", mutate: func(t *testing.T, p *Params, b *Block) {
			tx := &Tx{Kind: TxTransfer, ChainID: TestParams().ChainID, Nonce: 2, To: bob, Amount: 1, Fee: p.MinTxFee}
			b.Txs = append(b.Txs, signTx(t, tx, alice))
		}, code: ErrWrongChainID},
		{name: "coinbase for another chain", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs[0].ChainID++
		}, code: ErrWrongChainID},
		{name: "fee below minimum", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs = append(b.Txs, transfer(t, p, alice, 2, bob, 1, p.MinTxFee-1))
		}, code: ErrFeeTooLow},
		{name: "amount + fee overflows", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs = append(b.Txs, transfer(t, p, alice, 2, bob, math.MaxUint64, p.MinTxFee))
		}, code: ErrOverflow},
		{name: "memo too long", mutate: func(t *testing.T, p *Params, b *Block) {
			tx := &Tx{Kind: TxTransfer, ChainID: p.ChainID, Nonce: 2, To: bob, Fee: p.MinTxFee, Memo: make([]byte, MaxMemoSize+1)}
			b.Txs = append(b.Txs, signTx(t, tx, alice))
		}, code: ErrMemoTooLong},
		{name: "coinbase memo too long", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs[0].Memo = make([]byte, MaxMemoSize+1)
		}, code: ErrMemoTooLong},
		{name: "flipped signature bit", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs[2].Sig[10] ^= 0x04
		}, code: ErrBadSignature},
		{name: "signature over other fields", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Txs[1].Amount++
		}, code: ErrBadSignature},
		{name: "pubkey not on curve", mutate: func(t *testing.T, p *Params, b *Block) {
			for i := range b.Txs[1].PubKey {
				b.Txs[1].PubKey[i] = 0xff
			}
		}, code: ErrBadPubKey},
		{name: "hash above target", noMine: true, mutate: func(t *testing.T, p *Params, b *Block) {
			fixMerkle(b)
			unmine(t, b, p)
		}, code: ErrHighHash},
		{name: "bits above pow limit", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Header.Bits = 0x2100ffff
		}, noMine: true, code: ErrBadTargetLimit},
		{name: "block version 2", mutate: func(t *testing.T, p *Params, b *Block) {
			b.Header.Version = 2
		}, code: ErrBadVersion},
		{name: "block version 0", noMine: true, mutate: func(t *testing.T, p *Params, b *Block) {
			b.Header.Version = 0
		}, code: ErrBadVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := RegtestParams()
			if tc.params != nil {
				tc.params(p)
			}
			b := buildBlock(t, p, p.GenesisHash, 1, miner,
				transfer(t, p, alice, 0, bob, 10, p.MinTxFee),
				transfer(t, p, alice, 1, bob, 20, p.MinTxFee))
			if tc.mutate != nil {
				tc.mutate(t, p, b)
			}
			if !tc.keepMerkle {
				fixMerkle(b)
			}
			if !tc.noMine {
				mine(t, b, p)
			}
			workers := 1
			if strings.Contains(tc.name, "workers") || tc.code == ErrBadSignature {
				workers = 2
			}
			want := CheckBlockSanity(b, p, workers)
			wantCode(t, want, tc.code)
			// The batch path gives exactly the same answer, with or
			// without a cache holding the first transfer (if valid: the
			// cache only ever holds verified txs).
			v := testVerifier(11, workers)
			sameResult(t, "batch", CheckBlockSanityBatch(b, p, v, nil), want)
			sameResult(t, "nil verifier", CheckBlockSanityBatch(b, p, nil, nil), want)
			if len(b.Txs) > 1 && b.Txs[1].VerifySignature() == nil {
				cache := mapCache{b.Txs[1].ID(): true}
				sameResult(t, "batch+cache", CheckBlockSanityBatch(b, p, v, cache), want)
			}
		})
	}
}

func TestCheckHeaderContext(t *testing.T) {
	p := RegtestParams()
	const mtp, now = 1_780_000_100, 1_780_000_500
	parent := ParentInfo{Height: 5, Timestamp: mtp + 20, MedianTimePast: mtp}
	good := Header{Version: BlockVersion, Timestamp: mtp + 1, Bits: p.Genesis.Header.Bits}
	tests := []struct {
		name   string
		mutate func(h *Header)
		code   ErrorCode
	}{
		{"valid", func(h *Header) {}, 0},
		{"bits differ", func(h *Header) { h.Bits = 0x1f7fffff }, ErrBadDifficulty},
		{"timestamp == median", func(h *Header) { h.Timestamp = mtp }, ErrTimeTooOld},
		{"timestamp < median", func(h *Header) { h.Timestamp = mtp - 1000 }, ErrTimeTooOld},
		{"timestamp at future bound", func(h *Header) { h.Timestamp = now + p.MaxFutureBlockTime }, 0},
		{"timestamp past future bound", func(h *Header) { h.Timestamp = now + p.MaxFutureBlockTime + 1 }, ErrTimeTooNew},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := good
			tc.mutate(&h)
			wantCode(t, CheckHeaderContext(&h, parent, p, now), tc.code)
		})
	}
}

// TestNextBitsASERT checks NextBits' anchoring on a retargeting network: on
// schedule keeps the genesis bits, one half-life ahead halves the target,
// behind schedule is clamped to the pow limit.
func TestNextBitsASERT(t *testing.T) {
	for _, p := range []*Params{MainParams(), TestParams()} {
		g := p.Genesis.Header
		if got := NextBits(p, 0, g.Timestamp); got != g.Bits {
			t.Fatalf("%s: after genesis %#x, want genesis bits %#x", p.Name, got, g.Bits)
		}
		if got := NextBits(p, 1000, g.Timestamp+1000*p.TargetSpacing); got != g.Bits {
			t.Fatalf("%s: on schedule %#x, want %#x", p.Name, got, g.Bits)
		}
		h := uint64(2 * p.ASERTHalfLife / p.TargetSpacing)
		half := TargetToCompact(new(uint256.Int).Rsh(p.PowLimit, 1))
		if got := NextBits(p, h, g.Timestamp+p.ASERTHalfLife); got != half {
			t.Fatalf("%s: one half-life ahead %#x, want %#x", p.Name, got, half)
		}
		if got := NextBits(p, 1, g.Timestamp+1e9); got != TargetToCompact(p.PowLimit) {
			t.Fatalf("%s: far behind %#x, want pow limit", p.Name, got)
		}
	}
	r := RegtestParams()
	if got := NextBits(r, 1e6, 0); got != r.Genesis.Header.Bits {
		t.Fatalf("regtest does not retarget: %#x", got)
	}
}

func TestCheckBlockContext(t *testing.T) {
	p := RegtestParams()
	b := buildBlock(t, p, p.GenesisHash, 7, seedAddr("miner"))
	wantCode(t, CheckBlockContext(b, 7), 0)
	wantCode(t, CheckBlockContext(b, 6), ErrBadHeight)
	wantCode(t, CheckBlockContext(b, 8), ErrBadHeight)
	wantCode(t, CheckBlockContext(&Block{}, 0), ErrNoTxs)
}

func TestMedianTime(t *testing.T) {
	tests := []struct {
		in   []int64
		want int64
	}{
		{nil, 0},
		{[]int64{5}, 5},
		{[]int64{3, 1}, 3}, // upper median
		{[]int64{1, 2, 3, 4}, 3},
		{[]int64{9, 1, 8, 2, 7, 3, 6, 4, 5, 0, 10}, 5},
		{[]int64{5, 5, 5, 1, 9}, 5},
		{[]int64{-3, -1, -2}, -2},
	}
	for _, tc := range tests {
		in := append([]int64(nil), tc.in...)
		if got := MedianTime(in); got != tc.want {
			t.Errorf("MedianTime(%v) = %d, want %d", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("MedianTime modified its input: %v", in)
			}
		}
	}
}

func TestVerifySignaturesLowestIndex(t *testing.T) {
	p := RegtestParams()
	alice, bob := keyFromSeed("alice"), seedAddr("bob")
	txs := make([]*Tx, 40)
	for i := range txs {
		txs[i] = transfer(t, p, alice, uint64(i), bob, 1, p.MinTxFee)
	}
	for _, w := range []int{0, 1, 2, 3, 4, 7, 64} {
		wantCode(t, VerifySignatures(txs, w), 0)
	}
	wantCode(t, VerifySignatures(nil, 4), 0)
	// Bad key at 13 (ErrBadPubKey), bad signatures at 21 and 38.
	txs[13].PubKey = [32]byte{}
	for i := range txs[13].PubKey {
		txs[13].PubKey[i] = 0xff
	}
	txs[21].Sig[0] ^= 1
	txs[38].Sig[63] ^= 1
	want := VerifySignatures(txs, 1)
	wantCode(t, want, ErrBadPubKey)
	for _, w := range []int{0, 2, 3, 4, 5, 7, 13, 40, 64} {
		got := VerifySignatures(txs, w)
		if got == nil || got.Error() != want.Error() {
			t.Fatalf("workers=%d: got %v, want %v", w, got, want)
		}
	}
	txs[13] = transfer(t, p, alice, 13, bob, 1, p.MinTxFee)
	for _, w := range []int{1, 2, 3, 8} {
		wantCode(t, VerifySignatures(txs, w), ErrBadSignature)
	}
	if err := (&Tx{Kind: TxCoinbase}).VerifySignature(); !isCode(err, ErrBadSignature) {
		t.Fatalf("coinbase signature: %v", err)
	}
}

// fundedState gives alice a balance on a fresh regtest chain.
func fundedState(bal uint64) (*Params, Accounts) {
	p := RegtestParams()
	return p, Accounts{seedAddr("alice"): {Balance: bal}}
}

func TestApplyBlock(t *testing.T) {
	alice := keyFromSeed("alice")
	aliceAddr, bob, miner := seedAddr("alice"), seedAddr("bob"), seedAddr("miner")
	const fee = 1000
	t.Run("several txs of one sender in nonce order", func(t *testing.T) {
		p, st := fundedState(10 * Coin)
		b := buildBlock(t, p, p.GenesisHash, 1, miner,
			transfer(t, p, alice, 0, bob, 1*Coin, fee),
			transfer(t, p, alice, 1, bob, 2*Coin, 2*fee),
			transfer(t, p, alice, 2, aliceAddr, 3*Coin, fee)) // to self: only the fee leaves
		fees, err := ApplyBlock(st, b, 1, p)
		wantCode(t, err, 0)
		if fees != 4*fee {
			t.Fatalf("fees %d, want %d", fees, 4*fee)
		}
		want := Accounts{
			aliceAddr: {Balance: 7*Coin - 4*fee, Nonce: 3},
			bob:       {Balance: 3 * Coin},
			miner:     {Balance: p.Subsidy(1) + 4*fee},
		}
		for a, acct := range want {
			if st[a] != acct {
				t.Errorf("account %x: %+v, want %+v", a, st[a], acct)
			}
		}
		// Replaying a tx that already applied: nonce is now 3.
		b2 := buildBlock(t, p, b.Hash(), 2, miner, b.Txs[1])
		_, err = ApplyBlock(st, b2, 2, p)
		wantCode(t, err, ErrBadNonce)
	})
	tests := []struct {
		name  string
		bal   uint64
		setup func(st Accounts)
		txs   func(p *Params) []*Tx
		cbAdj int64 // added to the correct coinbase amount
		code  ErrorCode
	}{
		{name: "empty block", code: 0},
		{name: "nonce gap", bal: Coin, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 1, bob, 1, fee)}
		}, code: ErrBadNonce},
		{name: "nonce out of order", bal: Coin, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 1, bob, 1, fee), transfer(t, p, alice, 0, bob, 1, fee)}
		}, code: ErrBadNonce},
		{name: "replay in one block", bal: Coin, txs: func(p *Params) []*Tx {
			tx := transfer(t, p, alice, 0, bob, 1, fee)
			return []*Tx{tx, tx}
		}, code: ErrBadNonce},
		{name: "stale nonce", bal: Coin, setup: func(st Accounts) {
			a := st[seedAddr("alice")]
			a.Nonce = 5
			st[seedAddr("alice")] = a
		}, txs: func(p *Params) []*Tx { return []*Tx{transfer(t, p, alice, 4, bob, 1, fee)} }, code: ErrBadNonce},
		{name: "exact balance", bal: Coin, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 0, bob, Coin-fee, fee)}
		}, code: 0},
		{name: "insufficient funds", bal: Coin, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 0, bob, Coin-fee+1, fee)}
		}, code: ErrInsufficientFunds},
		{name: "unfunded sender", txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, keyFromSeed("nobody"), 0, bob, 0, fee)}
		}, code: ErrInsufficientFunds},
		{name: "insufficient after earlier tx", bal: Coin, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 0, bob, Coin/2, fee), transfer(t, p, alice, 1, bob, Coin/2, fee)}
		}, code: ErrInsufficientFunds},
		{name: "recipient overflow", bal: Coin, setup: func(st Accounts) {
			st[seedAddr("bob")] = Account{Balance: math.MaxUint64 - 5}
		}, txs: func(p *Params) []*Tx { return []*Tx{transfer(t, p, alice, 0, bob, 10, fee)} }, code: ErrOverflow},
		{name: "amount + fee overflow", bal: math.MaxUint64, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 0, bob, math.MaxUint64, fee)}
		}, code: ErrOverflow},
		{name: "miner balance overflow", setup: func(st Accounts) {
			st[seedAddr("miner")] = Account{Balance: math.MaxUint64}
		}, code: ErrOverflow},
		{name: "coinbase one too high", cbAdj: 1, code: ErrBadCoinbaseValue},
		{name: "coinbase one too low", cbAdj: -1, code: ErrBadCoinbaseValue},
		{name: "coinbase omits fees", bal: Coin, cbAdj: -fee, txs: func(p *Params) []*Tx {
			return []*Tx{transfer(t, p, alice, 0, bob, 1, fee)}
		}, code: ErrBadCoinbaseValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, st := fundedState(tc.bal)
			if tc.setup != nil {
				tc.setup(st)
			}
			var txs []*Tx
			if tc.txs != nil {
				txs = tc.txs(p)
			}
			b := buildBlock(t, p, p.GenesisHash, 1, miner, txs...)
			b.Txs[0].Amount = uint64(int64(b.Txs[0].Amount) + tc.cbAdj)
			_, err := ApplyBlock(st, b, 1, p)
			wantCode(t, err, tc.code)
		})
	}
}

func TestApplyTx(t *testing.T) {
	p, st := fundedState(Coin)
	tx := transfer(t, p, keyFromSeed("alice"), 0, seedAddr("bob"), 100, 1000)
	wantCode(t, ApplyTx(st, tx), 0)
	wantCode(t, ApplyTx(st, tx), ErrBadNonce)
	if st[seedAddr("bob")].Balance != 100 || st[seedAddr("alice")] != (Account{Balance: Coin - 1100, Nonce: 1}) {
		t.Fatalf("state after ApplyTx: %+v", st)
	}
	b := buildBlock(t, p, p.GenesisHash, 1, seedAddr("miner"), tx)
	got := TouchedAddresses(b)
	want := []Address{seedAddr("miner"), seedAddr("alice"), seedAddr("bob")}
	if len(got) != len(want) {
		t.Fatalf("TouchedAddresses %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TouchedAddresses %x, want %x", got, want)
		}
	}
}

func TestSubsidy(t *testing.T) {
	p := RegtestParams() // halves every 150 blocks
	tests := []struct{ height, want uint64 }{
		{0, 50 * Coin}, {1, 50 * Coin}, {149, 50 * Coin}, {150, 25 * Coin}, {299, 25 * Coin},
		{300, 25 * Coin / 2}, {150 * 32, 50 * Coin >> 32}, {150 * 33, 0}, {150 * 63, 0},
		{150 * 64, 0}, {math.MaxUint64, 0},
	}
	for _, tc := range tests {
		if got := p.Subsidy(tc.height); got != tc.want {
			t.Errorf("Subsidy(%d) = %d, want %d", tc.height, got, tc.want)
		}
	}
	m := MainParams()
	if m.Subsidy(m.HalvingInterval-1) != 50*Coin || m.Subsidy(m.HalvingInterval) != 25*Coin {
		t.Error("main halving boundary wrong")
	}
	p.HalvingInterval = 0
	if p.Subsidy(math.MaxUint64) != p.InitialSubsidy {
		t.Error("HalvingInterval 0 must never halve")
	}
}

func TestBuiltinParams(t *testing.T) {
	seen := map[uint32]bool{}
	for _, name := range []string{"main", "test", "regtest", "mainnet", "testnet"} {
		p, err := ParamsByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.GenesisHash != p.Genesis.Hash() || p.Genesis.Header.MerkleRoot != MerkleRoot(p.Genesis.TxIDs()) {
			t.Fatalf("%s: inconsistent genesis", name)
		}
		if err := CheckProofOfWork(p.GenesisHash, p.PowLimitBits, p.PowLimit); err != nil && !isCode(err, ErrHighHash) {
			t.Fatalf("%s: pow limit bits invalid: %v", name, err)
		}
		_ = NextBits(p, 1, p.Genesis.Header.Timestamp) // must not panic
		if TargetToCompact(p.PowLimit) != p.PowLimitBits {
			t.Fatalf("%s: pow limit bits %#x not canonical", name, p.PowLimitBits)
		}
		seen[p.ChainID] = true
	}
	if len(seen) != 3 {
		t.Fatalf("chain ids not distinct: %v", seen)
	}
	if _, err := ParamsByName("nope"); err == nil {
		t.Fatal("unknown network accepted")
	}
}

func TestCustomParams(t *testing.T) {
	alice, bob := seedAddr("alice").Encode("rcairn"), seedAddr("bob").Encode("rcairn")
	spec := func(extra string) string {
		return `{"base":"regtest","name":"dev","chain_id":77,"timestamp":1780000000,` + extra +
			`"allocs":[{"address":"` + bob + `","amount":5},{"address":"` + alice + `","amount":7}]}`
	}
	build := func(js string) (*Params, error) {
		s, err := ParseGenesisSpec([]byte(js))
		if err != nil {
			return nil, err
		}
		return CustomParams(s)
	}
	p, err := build(spec(""))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "dev" || p.ChainID != 77 || p.AddressHRP != "rcairn" || len(p.Genesis.Txs) != 2 {
		t.Fatalf("custom params %+v", p)
	}
	st := Accounts{}
	ApplyGenesis(st, p)
	if st[seedAddr("alice")].Balance != 7 || st[seedAddr("bob")].Balance != 5 {
		t.Fatalf("genesis state %+v", st)
	}
	if err := CheckBlockSanity(buildBlock(t, p, p.GenesisHash, 1, seedAddr("m")), p, 1); err != nil {
		t.Fatalf("block on custom network: %v", err)
	}
	other, err := build(strings.Replace(spec(""), `"chain_id":77`, `"chain_id":78`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if other.GenesisHash == p.GenesisHash {
		t.Fatal("different chain id, same genesis hash")
	}
	again, _ := build(spec(""))
	if again.GenesisHash != p.GenesisHash {
		t.Fatal("genesis not deterministic")
	}
	ok, err := build(`{"base":"test","name":"t2","chain_id":9,"timestamp":1,"allocs":[]}`)
	if err != nil || NextBits(ok, 1, 100) == 0 {
		t.Fatalf("retargeting custom network: %v", err)
	}
	bad := map[string]string{
		"duplicate alloc":     `{"base":"regtest","name":"d","chain_id":7,"allocs":[{"address":"` + bob + `","amount":1},{"address":"` + bob + `","amount":2}]}`,
		"unknown field":       spec(`"colour":"red",`),
		"unknown base":        strings.Replace(spec(""), `"regtest"`, `"moon"`, 1),
		"missing chain id":    strings.Replace(spec(""), `"chain_id":77,`, "", 1),
		"missing name":        strings.Replace(spec(""), `"name":"dev",`, "", 1),
		"wrong network alloc": strings.Replace(spec(""), bob, seedAddr("bob").Encode("cairn"), 1),
		"alloc overflow":      strings.Replace(spec(""), `"amount":5`, `"amount":18446744073709551615`, 1),
		"negative spacing":    spec(`"target_spacing":-1,`),
		"negative timestamp":  strings.Replace(spec(""), "1780000000", "-1", 1),
		"bits above limit":    `{"base":"test","name":"x","chain_id":9,"bits":545259519,"allocs":[]}`,
		"limit too easy":      spec(`"no_retarget":false,`),
		"message too long":    spec(`"message":"` + strings.Repeat("m", MaxMemoSize+1) + `",`),
	}
	for name, js := range bad {
		if _, err := build(js); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRuleErrorMatching(t *testing.T) {
	err := decodeErr("tx", ruleErr(ErrBadNonce, "x"))
	if CodeOf(err) != ErrBadNonce || !errors.Is(err, RuleError{Code: ErrBadNonce}) || errors.Is(err, RuleError{Code: ErrDecode}) {
		t.Fatalf("matching on %v", err)
	}
	if CodeOf(errors.New("plain")) != 0 || CodeOf(nil) != 0 {
		t.Fatal("CodeOf of a non-rule error")
	}
	// Codes are numbered on the RPC surface: append only.
	if ErrDecode != 1 || ErrHighHash != 7 || ErrBadNonce != 19 || ErrTxTooBig != 24 || ErrGenesis != 28 {
		t.Fatal("error code numbering changed")
	}
	for c := ErrDecode; c <= ErrGenesis; c++ {
		if strings.HasPrefix(c.String(), "ErrorCode(") {
			t.Errorf("code %d has no name", int(c))
		}
	}
}

// mapCache is a SigCache over a plain map.
type mapCache map[Hash]bool

func (m mapCache) Take(id Hash) bool {
	ok := m[id]
	delete(m, id)
	return ok
}

// TestCheckBlockSanityBatchCache: cached txs are not verified again, and a
// cached entry is used once.
func TestCheckBlockSanityBatchCache(t *testing.T) {
	p := RegtestParams()
	alice, bob := keyFromSeed("alice"), seedAddr("bob")
	var txs []*Tx
	for i := range 5 {
		txs = append(txs, transfer(t, p, alice, uint64(i), bob, 1, p.MinTxFee))
	}
	b := buildBlock(t, p, p.GenesisHash, 1, seedAddr("m"), txs...)
	fixMerkle(b)
	mine(t, b, p)
	v := testVerifier(12, 1)
	cache := mapCache{}
	for _, tx := range txs {
		cache[tx.ID()] = true
	}
	if err := CheckBlockSanityBatch(b, p, v, cache); err != nil {
		t.Fatal(err)
	}
	if n := v.Stats().Signatures; n != 0 {
		t.Fatalf("%d signatures verified, want 0 with every tx cached", n)
	}
	if len(cache) != 0 {
		t.Fatalf("cache keeps %d entries after the block used them", len(cache))
	}
	if err := CheckBlockSanityBatch(b, p, v, cache); err != nil {
		t.Fatal(err)
	}
	if n := v.Stats().Signatures; n != 5 {
		t.Fatalf("%d signatures verified, want 5 once the cache is empty", n)
	}
}
