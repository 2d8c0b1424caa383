package p2p

import (
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Penalties from our own protocols, fed into the gossip score as the
// app-specific component. They decay with penaltyHalfLife so a peer that
// was slow once recovers, while repeated faults push it below the
// threshold.
const (
	penaltyBadData  = 150 // invalid or mismatched sync data, malformed frames, panics
	penaltyStall    = 25  // a request timed out
	penaltyBadTx    = 20  // an invalid tx in a mempool push
	penaltyLied     = 50  // status claimed more work than its headers hold
	penaltyHalfLife = 10 * time.Minute
	scoreInspect    = time.Second
)

type penalty struct {
	v  float64
	at time.Time
}

// penalties is the app-specific score; keyed by peer, kept across
// reconnects until decayed.
type penalties struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[peer.ID]penalty
}

func newPenalties() *penalties { return &penalties{m: make(map[peer.ID]penalty), now: time.Now} }

func (ps *penalties) decayed(p penalty, now time.Time) float64 {
	return p.v * math.Exp2(-now.Sub(p.at).Seconds()/penaltyHalfLife.Seconds())
}

// add increases p's penalty and returns the new value.
func (ps *penalties) add(id peer.ID, amount float64) float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	now := ps.now()
	v := ps.decayed(ps.m[id], now) + amount
	ps.m[id] = penalty{v: v, at: now}
	if len(ps.m) > maxRefused {
		for k, old := range ps.m {
			if ps.decayed(old, now) < 1 {
				delete(ps.m, k)
			}
		}
	}
	return v
}

func (ps *penalties) get(id peer.ID) float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, ok := ps.m[id]
	if !ok {
		return 0
	}
	return ps.decayed(p, ps.now())
}

// Gossip score parameters. One invalid block (-250) or two invalid txs
// (-50 * 2^2) take a peer below the default ScoreThreshold of -100; honest
// peers only ever gain, up to TopicScoreCap.
const (
	invalidBlockWeight = -250
	invalidTxWeight    = -50
	gossipThreshold    = -40
	publishThreshold   = -80
	graylistThreshold  = -120
)

func topicScore(firstWeight, firstCap, invalidWeight float64) *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight: 1,
		// Time in mesh is worth at most ~10 so it cannot offset one fault.
		TimeInMeshWeight:  0.0027,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     3600,
		// First deliveries are rewarded mildly and forgotten within minutes.
		FirstMessageDeliveriesWeight: firstWeight,
		FirstMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(10 * time.Minute),
		FirstMessageDeliveriesCap:    firstCap,
		// Mesh delivery-rate penalties stay off: blocks are minutes apart and
		// tx load is bursty, so a quiet mesh peer is not a faulty one.
		MeshMessageDeliveriesWeight: 0,
		MeshFailurePenaltyWeight:    0,
		// Invalid messages are counted squared and forgotten slowly.
		InvalidMessageDeliveriesWeight: invalidWeight,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
	}
}

func scoreParams(txTopic, blockTopic string, app func(peer.ID) float64) (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	_, loop4, _ := net.ParseCIDR("127.0.0.0/8")
	_, loop6, _ := net.ParseCIDR("::1/128")
	params := &pubsub.PeerScoreParams{
		Topics: map[string]*pubsub.TopicScoreParams{
			blockTopic: topicScore(1, 20, invalidBlockWeight),
			txTopic:    topicScore(0.05, 200, invalidTxWeight),
		},
		TopicScoreCap:     50,
		AppSpecificScore:  app,
		AppSpecificWeight: 1,
		// Many peers behind one address is suspicious on the internet but
		// normal on a test machine, so loopback is exempt.
		IPColocationFactorWeight:    -5,
		IPColocationFactorThreshold: 8,
		IPColocationFactorWhitelist: []*net.IPNet{loop4, loop6},
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               pubsub.DefaultDecayInterval,
		DecayToZero:                 pubsub.DefaultDecayToZero,
		RetainScore:                 30 * time.Minute,
	}
	thresholds := &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           10,
		OpportunisticGraftThreshold: 5,
	}
	return params, thresholds
}

// penalize charges p for a fault and bans it at once if that takes its own
// penalty below the threshold (the gossip score would follow within a second).
func (n *Node) penalize(p peer.ID, amount float64, reason string) {
	if p == "" || p == n.host.ID() {
		return
	}
	v := n.pen.add(p, amount)
	n.log.Info("peer penalised", "peer", p, "penalty", amount, "total", fmt.Sprintf("%.1f", v), "reason", reason)
	if -v < n.cfg.ScoreThreshold {
		n.ban(p, reason)
	}
}

// onScores receives the gossip scores every scoreInspect; peers below the
// threshold are banned.
func (n *Node) onScores(scores map[peer.ID]float64) {
	if n.closed.Load() {
		return
	}
	n.scoreMu.Lock()
	n.scores = scores
	n.scoreMu.Unlock()
	for p, s := range scores {
		if s < n.cfg.ScoreThreshold {
			n.ban(p, fmt.Sprintf("score %.1f below %.1f", s, n.cfg.ScoreThreshold))
		}
	}
}

// score is p's last gossip score, or minus our penalty if gossip has none.
func (n *Node) score(p peer.ID) float64 {
	n.scoreMu.Lock()
	s, ok := n.scores[p]
	n.scoreMu.Unlock()
	if ok {
		return s
	}
	return -n.pen.get(p)
}

// ban refuses p for BanDuration and disconnects it.
func (n *Node) ban(p peer.ID, reason string) {
	if p == n.host.ID() {
		return
	}
	if _, already := n.gater.check(p); already {
		return
	}
	until := time.Now().Add(n.cfg.BanDuration)
	n.gater.refuse(p, until, reason)
	n.stats.bans.Add(1)
	n.log.Warn("banned peer", "peer", p, "until", until.Format(time.RFC3339), "reason", reason)
	n.goSafe("disconnect banned", func() { _ = n.host.Network().ClosePeer(p) })
}
