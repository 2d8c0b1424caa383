// Command longchain builds a long regtest chain of coinbase-only blocks and
// measures what a long chain costs the node: open (index load) time, RSS,
// getheaders (HeadersAfter) and getblockhash (HashAt) latency. It is the
// benchmark for issue 8's height-indexed main chain; see docs/PERFORMANCE.md.
//
//	go run ./chain/internal/longchain -dir /tmp/long -blocks 1000000 -build
//	go run ./chain/internal/longchain -dir /tmp/long -measure
//
// The chain lives in DIR/chain, the layout `cairn node --datadir DIR` uses,
// so node startup can be timed on the same data.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

func main() {
	dir := flag.String("dir", "", "data dir (the chain goes in DIR/chain)")
	blocks := flag.Uint64("blocks", 1_000_000, "chain height to build up to")
	build := flag.Bool("build", false, "extend the chain to -blocks")
	measure := flag.Bool("measure", false, "open the chain and time queries")
	cpuprof := flag.String("cpuprofile", "", "write a CPU profile of the open to this file")
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	p := consensus.RegtestParams()
	cdir := filepath.Join(*dir, "chain")
	if *build {
		if err := buildChain(cdir, p, *blocks); err != nil {
			log.Fatal(err)
		}
	}
	if *measure {
		if err := measureChain(cdir, p); err != nil {
			log.Println(err)
		}
	}
}

func buildChain(dir string, p *consensus.Params, target uint64) error {
	c, err := chain.Open(chain.Config{Dir: dir, Params: p, NoSync: true})
	if err != nil {
		return err
	}
	defer c.Close()
	tip := c.Tip()
	miner := consensus.Address{0: 0xca, 19: 0x1e}
	start := time.Now()
	for h := tip.Height + 1; h <= target; h++ {
		cb := &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: p.ChainID, Nonce: h, To: miner, Amount: p.Subsidy(h)}
		b := &consensus.Block{
			Header: consensus.Header{Version: consensus.BlockVersion, PrevHash: tip.Hash,
				Timestamp: p.Genesis.Header.Timestamp + int64(h), Bits: p.Genesis.Header.Bits, Miner: miner},
			Txs: []*consensus.Tx{cb},
		}
		b.Header.MerkleRoot = consensus.MerkleRoot(b.TxIDs())
		solve(&b.Header)
		if main, _, err := c.ProcessBlock(b); err != nil || !main {
			return fmt.Errorf("block %d: main=%v err=%v", h, main, err)
		}
		tip.Hash, tip.Height = b.Hash(), h
		if h%100_000 == 0 {
			log.Printf("height %d (%.0f blocks/s)", h, float64(h)/time.Since(start).Seconds())
		}
	}
	return nil
}

func solve(h *consensus.Header) {
	target, _, _ := consensus.CompactToTarget(h.Bits)
	for h.Nonce = 0; consensus.HashToBig(h.Hash()).Gt(target); h.Nonce++ {
	}
}

func measureChain(dir string, p *consensus.Params) error {
	runtime.GC()
	t0 := time.Now()
	c, err := chain.Open(chain.Config{Dir: dir, Params: p, NoSync: true})
	if err != nil {
		return err
	}
	defer c.Close()
	openTime := time.Since(t0)
	tip := c.Tip()
	fmt.Printf("height %d, open %v, VmRSS %s, VmHWM %s\n", tip.Height, openTime.Round(time.Millisecond), procStatus("VmRSS"), procStatus("VmHWM"))

	genesis := []consensus.Hash{p.GenesisHash}
	unknown := []consensus.Hash{{1}, {2}, {3}}
	loc := c.Locator()
	mid, _ := c.HashAt(tip.Height / 2)
	cases := []struct {
		name string
		loc  []consensus.Hash
	}{
		{"locator=genesis", genesis},
		{"locator=unknown hashes", unknown},
		{"locator=mid-chain", []consensus.Hash{mid}},
		{"locator=our own (tip)", loc},
	}
	for _, cs := range cases {
		var ds []time.Duration
		n := 0
		for i := 0; i < 200; i++ {
			s := time.Now()
			n = len(c.HeadersAfter(cs.loc, 2000))
			ds = append(ds, time.Since(s))
		}
		fmt.Printf("HeadersAfter(%s, 2000): %d headers, p50 %v, p99 %v, max %v\n", cs.name, n, pct(ds, 50), pct(ds, 99), pct(ds, 100))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var ds []time.Duration
	for i := 0; i < 100_000; i++ {
		h := rng.Uint64N(tip.Height + 1)
		s := time.Now()
		if _, err := c.HashAt(h); err != nil {
			return err
		}
		ds = append(ds, time.Since(s))
	}
	fmt.Printf("HashAt(random height) x100000: p50 %v, p99 %v, max %v\n", pct(ds, 50), pct(ds, 99), pct(ds, 100))
	ds = ds[:0]
	for i := 0; i < 1000; i++ {
		s := time.Now()
		c.Locator()
		ds = append(ds, time.Since(s))
	}
	fmt.Printf("Locator() x1000: p50 %v, max %v\n", pct(ds, 50), pct(ds, 100))
	runtime.GC()
	fmt.Printf("after queries: VmRSS %s, VmHWM %s\n", procStatus("VmRSS"), procStatus("VmHWM"))
	return nil
}

func pct(ds []time.Duration, q int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := len(s) * q / 100
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			return strings.TrimSpace(strings.TrimPrefix(line, field+":"))
		}
	}
	return "?"
}
