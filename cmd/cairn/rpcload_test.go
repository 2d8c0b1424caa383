package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/rpc"
)

// maxBodyRSSBound is the peak RSS a regtest node may reach while 64
// clients send maximum-size submitblock bodies, round after round. Before
// issue 8 this load took a node to 404 MiB, and 8 MiB bodies (the old
// limit) to 1.7 GiB; see docs/PERFORMANCE.md for the figures.
const maxBodyRSSBound = 256 << 20

// TestRPCMaxSizeBodiesBoundRSS runs a real node and has 64 clients post
// maximum-size submitblock bodies at once, three rounds, then checks the
// node's peak RSS (VmHWM). Each body is a block of the smallest possible
// transactions, the most decoding work per byte.
func TestRPCMaxSizeBodiesBoundRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the node's peak RSS")
	}
	dir := t.TempDir()
	n := startNode(t, filepath.Join(dir, "node"))
	user, pass, err := rpc.ReadCookie(n.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body []byte) (int, []byte, error) {
		req, err := http.NewRequest(http.MethodPost, n.rpcURL, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, b, err
	}
	// Wait until the RPC answers, then take the idle figure.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, err := post([]byte(`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`))
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rpc not ready: %d %v", code, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pid := n.cmd.Process.Pid
	idle := procStatusKB(t, pid, "VmRSS")

	p := consensus.RegtestParams()
	body := maxSizeSubmitBlock(t, p.MaxBlockSize, rpc.DefaultMaxBody(p))
	const clients, rounds = 64, 3
	codes, reasons := map[int]int{}, map[string]int{}
	var mu sync.Mutex
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, resp, err := post(body)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("post: %v", err)
					return
				}
				var r struct {
					Error *rpc.Error `json:"error"`
				}
				if err := json.Unmarshal(resp, &r); err != nil || r.Error == nil {
					t.Errorf("status %d: not a JSON-RPC error: %v %.200q", status, err, resp)
					return
				}
				codes[r.Error.Code]++
				var d rpc.RejectData
				if json.Unmarshal(r.Error.Data, &d) == nil {
					reasons[d.Code]++
				}
			}()
		}
		wg.Wait()
	}
	peak := procStatusKB(t, pid, "VmHWM")
	t.Logf("%d x %d bodies of %d bytes: idle RSS %d MiB, peak RSS %d MiB, error codes %v %v",
		rounds, clients, len(body), idle>>10, peak>>10, codes, reasons)
	// The block breaks consensus rules: every body that is processed must
	// come back as a rule or decode error, and some must be processed.
	if codes[rpc.CodeRejected]+codes[rpc.CodeDecode] == 0 {
		t.Errorf("no body was processed: codes %v", codes)
	}
	if peak<<10 > maxBodyRSSBound {
		t.Errorf("peak RSS %d MiB exceeds %d MiB", peak>>10, maxBodyRSSBound>>20)
	}
}

// maxSizeSubmitBlock is a submitblock request of a block of blockSize
// bytes filled with minimal transactions, so that it is decoded in full
// (then refused for its tx count), padded with JSON whitespace to exactly
// size bytes.
func maxSizeSubmitBlock(t *testing.T, blockSize int, size int64) []byte {
	t.Helper()
	const prefix, suffix = `{"jsonrpc":"2.0","id":1,"method":"submitblock","params":["`, `"]}`
	rawSize := blockSize
	cb := &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: 1}
	txSize := cb.EncodedSize()
	blk := &consensus.Block{Header: consensus.Header{Version: consensus.BlockVersion}}
	for i := 0; consensus.HeaderSize+4+(i+1)*txSize <= rawSize; i++ {
		blk.Txs = append(blk.Txs, &consensus.Tx{Kind: consensus.TxCoinbase, ChainID: 1, Nonce: uint64(i)})
	}
	if pad := rawSize - blk.EncodedSize(); pad > 0 {
		blk.Txs[0].Memo = make([]byte, pad) // a memo too long for the rules, still decodable up to MaxMemoSize
		if pad > consensus.MaxMemoSize {
			t.Fatalf("padding %d does not fit a memo", pad)
		}
	}
	var b strings.Builder
	b.Grow(int(size))
	b.WriteString(prefix)
	b.WriteString(hex.EncodeToString(blk.Encode()))
	b.WriteString(suffix)
	if int64(b.Len()) > size {
		t.Fatalf("body is %d bytes, over %d", b.Len(), size)
	}
	b.WriteString(strings.Repeat(" ", int(size)-b.Len()))
	return []byte(b.String())
}

// procStatusKB reads a kB field of /proc/<pid>/status.
func procStatusKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if ok && name == field {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			return v
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
