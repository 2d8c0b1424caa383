package netproxy

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// lossToxic emulates packet loss under TCP honestly: TCP never loses
// bytes, it retransmits, so a lost segment shows up as its data (and all
// data behind it, head-of-line) arriving one retransmission timeout late.
// Each chunk read from the socket counts as ceil(len/1460) WAN-sized
// segments; it is held for RTO if any of them is lost.
type lossToxic struct {
	Loss  float64 `json:"loss"`   // per-segment probability, 0..1
	RTOms int64   `json:"rto_ms"` // retransmission timeout to add
}

const lossToxicType = "cairn_loss"

// segmentBytes is the MSS of a typical Ethernet path (loopback's is 64 KiB).
const segmentBytes = 1460

func init() { toxics.Register(lossToxicType, new(lossToxic)) }

// rto is Linux's minimum retransmission timeout plus one round trip at the
// configured latency: roughly when the sender's timer fires and the resent
// segment arrives.
func rto(latency time.Duration) time.Duration { return 200*time.Millisecond + 2*latency }

func (t *lossToxic) lost(n int) bool {
	segs := max(1, (n+segmentBytes-1)/segmentBytes)
	pAny := 1 - math.Pow(1-t.Loss, float64(segs))
	return rand.Float64() < pAny
}

func (t *lossToxic) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if t.lost(len(c.Data)) {
				select {
				case <-time.After(time.Duration(t.RTOms) * time.Millisecond):
				case <-stub.Interrupt:
					stub.Output <- c // never drop data on the floor
					return
				}
			}
			stub.Output <- c
		}
	}
}
