package netproxy

import (
	"testing"
	"time"

	"github.com/cairn-chain/cairn/testnet"
)

func TestToxicsFor(t *testing.T) {
	if got := toxicsFor(testnet.Conditions{}); len(got) != 0 {
		t.Fatalf("no conditions gave toxics %+v", got)
	}
	got := toxicsFor(testnet.Conditions{Latency: 80 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.01, Bandwidth: 20e6})
	if len(got) != 6 {
		t.Fatalf("got %d toxics, want latency, loss and bandwidth on both streams: %+v", len(got), got)
	}
	for _, tx := range got[:3] {
		if tx.Stream != "upstream" {
			t.Fatalf("%+v: want upstream first", tx)
		}
	}
	if a := got[0].Attributes; a["latency"] != int64(80) || a["jitter"] != int64(20) {
		t.Errorf("latency attributes %v", a)
	}
	if a := got[1].Attributes; a["loss"] != 0.01 || a["rto_ms"] != int64(360) {
		t.Errorf("loss attributes %v (rto = 200ms + 2 x 80ms)", a)
	}
	if a := got[2].Attributes; a["rate"] != int64(2500) {
		t.Errorf("bandwidth attributes %v: 20 mbit/s is 2500 KB/s", a)
	}
}

// A chunk is held when any of its segments is lost: never at 0, almost
// always for a 100-segment chunk at 50%, about p for one segment.
func TestLossToxicSegments(t *testing.T) {
	none := &lossToxic{Loss: 0}
	half := &lossToxic{Loss: 0.5}
	lost1 := 0
	for k := 0; k < 10000; k++ {
		if none.lost(64 << 10) {
			t.Fatal("lost a chunk at 0% loss")
		}
		if !half.lost(100*segmentBytes) && k < 100 {
			t.Fatal("a 100-segment chunk got through at 50% loss (p = 2^-100)")
		}
		if half.lost(10) {
			lost1++
		}
	}
	if lost1 < 4000 || lost1 > 6000 {
		t.Fatalf("one-segment chunks lost %d of 10000 at 50%%", lost1)
	}
}
