package miner

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// hugeNetwork opens a chain on a custom network whose genesis funds keys
// with amounts near 2^64, so a block's fees can overflow the coinbase.
func hugeNetwork(t *testing.T, opts chaintest.Options) (*chain.Chain, []*chaintest.Key) {
	t.Helper()
	p, keys, err := chaintest.NewParams(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: p, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, keys
}

func signed(t *testing.T, p *consensus.Params, k *chaintest.Key, nonce, amount, fee uint64) *consensus.Tx {
	t.Helper()
	tx := &consensus.Tx{Kind: consensus.TxTransfer, ChainID: p.ChainID, Nonce: nonce,
		To: chaintest.NewKey("sink").Addr, Amount: amount, Fee: fee}
	if err := tx.Sign(k.Priv); err != nil {
		t.Fatal(err)
	}
	return tx
}

// A template never fails, or comes out invalid, because its fees overflow:
// txs whose fee would overflow subsidy + fees, or the miner's balance once
// the coinbase pays it, are left out, and the block is accepted.
func TestTemplateChecksFeeArithmetic(t *testing.T) {
	miner := chaintest.NewKey("huge/miner")
	tests := []struct {
		name string
		opts chaintest.Options
		// txs returns the source's txs and which of them the template keeps.
		txs func(p *consensus.Params, keys []*chaintest.Key) (src []*consensus.Tx, want []int)
	}{
		{
			name: "subsidy plus fees overflows",
			// Two keys with 2^63-1 each: the allocations sum to 2^64-2.
			opts: chaintest.Options{Name: "huge-fees", Keys: 2, Alloc: math.MaxInt64},
			txs: func(p *consensus.Params, keys []*chaintest.Key) ([]*consensus.Tx, []int) {
				fee := uint64(math.MaxInt64 - 1) // both fees: 2^64-4, plus the subsidy overflows
				return []*consensus.Tx{
					signed(t, p, keys[0], 0, 1, fee),
					signed(t, p, keys[1], 0, 1, fee),
					signed(t, p, keys[1], 1, 1, p.MinTxFee), // unaffordable after the skipped one anyway
				}, []int{0}
			},
		},
		{
			name: "coinbase overflows the miner's balance",
			opts: chaintest.Options{Name: "huge-miner", Keys: 1, Alloc: 4 * consensus.Coin,
				ExtraAllocs: []consensus.Alloc{{Address: miner.Addr, Amount: math.MaxUint64 - 50*consensus.Coin - 1_000_000}}},
			txs: func(p *consensus.Params, keys []*chaintest.Key) ([]*consensus.Tx, []int) {
				return []*consensus.Tx{
					signed(t, p, keys[0], 0, 1, 10_000_000), // reward would exceed the room by 9,000,000
					signed(t, p, keys[0], 0, 1, 2000),       // same nonce, small fee: fits
					signed(t, p, keys[0], 1, 1, 999_000),    // 2000 + 999,000 > 1,000,000: left out
				}, []int{1}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, keys := hugeNetwork(t, tt.opts)
			p := c.Params()
			src, want := tt.txs(p, keys)
			blk, err := NewTemplate(c, staticSource(src), miner.Addr, time.Now())
			if err != nil {
				t.Fatalf("NewTemplate: %v", err)
			}
			if len(blk.Txs) != 1+len(want) {
				t.Fatalf("template has %d txs, want coinbase + %d", len(blk.Txs), len(want))
			}
			fees := uint64(0)
			for i, w := range want {
				if blk.Txs[1+i] != src[w] {
					t.Fatalf("template tx %d is not source tx %d", i, w)
				}
				fees += src[w].Fee
			}
			if got := blk.Txs[0].Amount; got != p.Subsidy(1)+fees {
				t.Fatalf("coinbase pays %d, want %d", got, p.Subsidy(1)+fees)
			}
			// The same template, solved, is a block the chain accepts.
			m := New(Config{Chain: c, Source: staticSource(src), Threads: 1})
			if _, err := m.MineOne(context.Background(), miner.Addr); err != nil {
				t.Fatalf("mined template rejected: %v", err)
			}
			if c.Height() != 1 {
				t.Fatalf("height %d, want 1", c.Height())
			}
		})
	}
}

// A miner address that cannot take even the subsidy gets a clear error.
func TestTemplateRefusesOverflowingMinerAddress(t *testing.T) {
	miner := chaintest.NewKey("huge/full-miner")
	c, _ := hugeNetwork(t, chaintest.Options{Name: "huge-full", Keys: 1, Alloc: 1,
		ExtraAllocs: []consensus.Alloc{{Address: miner.Addr, Amount: math.MaxUint64 - 1}}})
	if _, err := NewTemplate(c, nil, miner.Addr, time.Now()); err == nil {
		t.Fatal("NewTemplate accepted a coinbase that overflows the miner's balance")
	}
}
