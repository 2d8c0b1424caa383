package rpc

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain"
)

// TestWSNotifyLatency measures the time from a block's connect event (the
// first chain subscriber, registered before the hub) to the websocket
// client reading its newtips notification, and checks every block arrives
// in order. CAIRN_FIGURES=1 runs the 1,000 blocks of docs/PERFORMANCE.md.
func TestWSNotifyLatency(t *testing.T) {
	blocks := 100
	if os.Getenv("CAIRN_FIGURES") != "" {
		blocks = 1000
	}
	var (
		mu        sync.Mutex
		connected = map[uint64]time.Time{}
	)
	// Subscribed before the hub: the chain's commit is not measured, the
	// hub's formatting and enqueueing, the socket and the client are.
	n, g := genNode(t, nodeOptions{onEvent: func(ev chain.Event) {
		mu.Lock()
		connected[ev.Height] = time.Now()
		mu.Unlock()
	}})
	cl := n.dialWS(t)
	subscribe(t, cl, TopicNewTips, "")
	var lat []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range blocks {
			note := next(t, cl)
			got := time.Now()
			tip := tipOf(t, note)
			if tip.Height != uint64(i+1) {
				t.Errorf("notification %d is height %d", i, tip.Height)
				return
			}
			mu.Lock()
			lat = append(lat, got.Sub(connected[tip.Height]))
			mu.Unlock()
		}
	}()
	prev := "genesis"
	for i := range blocks {
		b := g.NextBlock(fmt.Sprint("l", i), prev)
		prev = b.Name
		mustMain(t, n, b)
	}
	<-done
	if t.Failed() {
		return
	}
	slices.Sort(lat)
	t.Logf("block connect -> websocket client, %d blocks: p50 %v, p99 %v, max %v", blocks,
		lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
}
