package chain_test

import (
	"fmt"
	"testing"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/chaintest"
)

// TestAccountCacheThroughReorgs runs reorgs back and forth, and a branch
// that fails to connect, with account caches from none to tiny (constant
// eviction) to the default: every account read and the state digest must
// match the generator's at every step, so the cache can never serve a value
// a disconnect, a failed connect or an eviction left stale.
func TestAccountCacheThroughReorgs(t *testing.T) {
	for _, size := range []int{-1, 1, 3, 0} {
		t.Run(fmt.Sprintf("cache=%d", size), func(t *testing.T) {
			g := chaintest.MustNew(chaintest.Options{Name: "acctcache", Keys: 6})
			c, err := chain.Open(chain.Config{Dir: t.TempDir(), Params: g.Params, Now: g.Now, NoSync: true, AccountCache: size})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			mainB := branch(g, branchSpec{prefix: "b", parent: "genesis", from: 1, to: 8, spendFrom: 0, spendTo: 1, freshAddrs: true})
			side := branch(g, branchSpec{prefix: "s", parent: "b4", from: 5, to: 9, spendFrom: 2, spendTo: 3, freshAddrs: true})
			bad := branch(g, branchSpec{prefix: "x", parent: "b8", from: 9, to: 11, spendFrom: 1, spendTo: 4, badAt: 10})
			for _, b := range mainB {
				mustAccept(t, c, b)
				checkState(t, c, g, b.Name)
			}
			mustSide(t, c, side[:4]...)
			checkState(t, c, g, "b8")
			mustAccept(t, c, side[4]) // reorg to s9: four disconnects
			checkState(t, c, g, "s9")
			more := branch(g, branchSpec{prefix: "b", parent: "b8", from: 9, to: 10, spendFrom: 0, spendTo: 5})
			mustSide(t, c, more[0])
			mustAccept(t, c, more[1]) // and back to b10
			checkState(t, c, g, "b10")
			// x9..x11 fork from b8 and outweigh b10, but x10 overspends: the
			// node tries them (connecting x9), fails, and returns to b10.
			mustSide(t, c, bad[0], bad[1])
			if _, _, err := c.ProcessBlock(bad[2].Block); err == nil {
				t.Fatal("a branch with an overspending block was accepted")
			}
			checkState(t, c, g, "b10")
		})
	}
}
