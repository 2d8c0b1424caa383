package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/consensus"
)

// recordingChain is the real chain with every ProcessBlock error recorded,
// so a test sees the rule error the sync path got.
type recordingChain struct {
	ChainAPI
	mu   sync.Mutex
	errs map[consensus.Hash]error
}

func (c *recordingChain) ProcessBlock(b *consensus.Block) (bool, bool, error) {
	main, orphan, err := c.ChainAPI.ProcessBlock(b)
	if err != nil {
		c.mu.Lock()
		c.errs[b.Hash()] = err
		c.mu.Unlock()
	}
	return main, orphan, err
}

func (c *recordingChain) errOf(h consensus.Hash) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errs[h]
}

// A sync window holding a block with a bad signature: the verifier stage
// batch-verifies the window, the blocks before the bad one connect from the
// signature cache, the bad one is refused with the rule error one-by-one
// verification gives (ErrBadSignature), nothing after it is stored, and the
// peer that served it is penalised as before.
func TestSyncPipelineBadSignatureInWindow(t *testing.T) {
	const total, bad, txs = 40, 27, 12
	gen := chaintest.MustNew(chaintest.Options{Name: "p2ppipe", Keys: txs})
	var blocks []*chaintest.Block
	parent := "genesis"
	for i := 1; i <= total; i++ {
		name := fmt.Sprintf("p%d", i)
		muts := []chaintest.Mutator{func(d *chaintest.Draft) {
			for k := range txs {
				d.Transfer(gen.Keys[k], gen.Keys[(k+1)%txs].Addr, 1000, gen.Params.MinTxFee)
			}
		}}
		if i == bad {
			muts = append(muts, chaintest.BadSignature(txs/2))
		}
		blocks = append(blocks, gen.NextBlock(name, parent, muts...))
		parent = name
	}
	// The reference: the chain alone refuses the bad block with this error.
	ref := newNode(t, gen.Params, "ref", "")
	ref.feed(t, blocks[:bad-1])
	_, _, want := ref.chain.ProcessBlock(blocks[bad-1].Block)
	if consensus.CodeOf(want) != consensus.ErrBadSignature {
		t.Fatalf("reference: bad block gives %v, want ErrBadSignature", want)
	}

	server := newHostile(t, gen.Params, "", nil)
	server.serve(blocksOf(blocks))
	var rec *recordingChain
	victim := newNode(t, gen.Params, "victim", "", func(c *Config) {
		rec = &recordingChain{ChainAPI: c.Chain, errs: map[consensus.Hash]error{}}
		c.Chain = rec
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.node.AddNode(ctx, server.addr()); err != nil {
		t.Fatal(err)
	}
	badHash := blocks[bad-1].Hash
	waitFor(t, 60*time.Second, "the bad block refused", func() bool { return rec.errOf(badHash) != nil })
	got := rec.errOf(badHash)
	var gotRE, wantRE consensus.RuleError
	if !errors.As(got, &gotRE) || !errors.As(want, &wantRE) || gotRE != wantRE {
		t.Fatalf("sync got %v, one-by-one reference %v", got, want)
	}
	waitFor(t, 30*time.Second, "the serving peer penalised", func() bool {
		return victim.node.pen.Get(server.host.ID()) >= 100 || banned(victim, server.host.ID())
	})
	if tip := victim.chain.Tip(); tip.Hash != blocks[bad-2].Hash {
		t.Fatalf("victim tip at height %d, want the block before the bad one (%d)", tip.Height, bad-1)
	}
	for _, b := range blocks[bad-1:] {
		if victim.chain.HaveBlock(b.Hash) {
			t.Fatalf("victim stored %s, at or after the bad block", b.Name)
		}
	}
	// The blocks before the bad one connected from the cache the verifier
	// stage filled: ProcessBlock took (at least) all their signatures.
	if hits := victim.sigs.Stats().Hits; hits < uint64((bad-1)*txs) {
		t.Fatalf("signature cache hits %d, want >= %d: the verifier stage did not run ahead", hits, (bad-1)*txs)
	}
}
