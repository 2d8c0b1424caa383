package rpc

import (
	"path/filepath"
	"testing"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/holiman/uint256"
)

// getblockchaininfo reports what a person asks of a node: how far it is,
// whether it is still syncing, its disk, peers and mempool.
func TestBlockchainInfoStatus(t *testing.T) {
	n := newTestNode(t, nodeOptions{network: &fakeNetwork{}, config: func(c *Config) {
		c.Backend.ChainDir = filepath.Join(c.DataDir, "chain")
	}})
	k := testKey("outsider")
	from := keyAddr(k).Encode(n.params.AddressHRP)
	n.must("generatetoaddress", []any{3, from}, nil)

	var bci blockchainInfo
	n.must("getblockchaininfo", nil, &bci)
	// The fake peer reports height 7: three of seven blocks, not yet a day
	// of regtest spacings behind, so not initial download.
	if bci.Blocks != 3 || bci.Height != 3 || bci.Peers != 1 || bci.IBD {
		t.Fatalf("blockchaininfo %+v", bci)
	}
	if bci.Progress < 0.42 || bci.Progress > 0.43 {
		t.Fatalf("verificationprogress %v, want 3/7", bci.Progress)
	}
	if bci.SizeOnDisk <= 0 {
		t.Fatalf("size_on_disk %d", bci.SizeOnDisk)
	}
	if bci.Mempool.Size != 0 || bci.Mempool.Bytes != 0 {
		t.Fatalf("mempool %+v", bci.Mempool)
	}
	// Past the peer's height; a pending payment shows in the mempool counts.
	n.must("generatetoaddress", []any{98, from}, nil)
	_, raw := signedTransfer(t, n.params, k, 0, consensus.Address{1}, 1, 5000)
	n.must("sendrawtransaction", []any{raw}, nil)
	n.must("getblockchaininfo", nil, &bci)
	if bci.Blocks != 101 || bci.Progress != 1 || bci.Mempool.Size != 1 || bci.Mempool.Bytes < 100 {
		t.Fatalf("after 101 blocks and a payment: %+v", bci)
	}
}

func TestInitialBlockDownload(t *testing.T) {
	p := consensus.TestParams() // 30 s spacing: a day is 2880 blocks
	p.MinChainWork = uint256.NewInt(1000)
	enough := uint256.NewInt(1000)
	cases := []struct {
		name       string
		tip, known uint64
		work       *uint256.Int
		want       bool
	}{
		{"caught up", 5000, 5000, enough, false},
		{"a day behind exactly", 5000, 7880, enough, false},
		{"more than a day behind", 5000, 7881, enough, true},
		{"below minimum chain work", 5000, 5000, uint256.NewInt(999), true},
		{"no peers, no headers", 0, 0, enough, false},
	}
	for _, c := range cases {
		if got := InitialBlockDownload(p, c.tip, c.known, c.work); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
