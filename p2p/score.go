package p2p

import (
	"fmt"
	"net"
	"time"

	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// scoreInspect is how often the gossip scores are read for bans.
const scoreInspect = time.Second

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
		SeenMsgTTL:        seenTTL,
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
// penalty past peers.BanScore (the gossip score would follow within a
// second).
func (n *Node) penalize(p peer.ID, amount float64, reason string) {
	if p == "" || p == n.host.ID() || amount <= 0 {
		return
	}
	v := n.pen.Add(p, amount)
	n.log.Info("peer penalised", "peer", p, "penalty", amount, "total", fmt.Sprintf("%.1f", v), "reason", reason)
	if -v < n.cfg.ScoreThreshold {
		n.ban(p, reason)
	}
}

// judge applies the misbehaviour policy to an error caused by what p sent
// and returns the verdict. Every path that handles peer data ends here.
func (n *Node) judge(p peer.ID, kind peers.Kind, err error, context string) peers.Verdict {
	v := peers.Judge(kind, err)
	if v.Action == peers.Penalize {
		if wire.IsTimeout(err) {
			n.stats.stalls.Add(1)
		}
		reason := v.Reason
		if context != "" {
			reason = context + ": " + reason
		}
		n.penalize(p, v.Penalty, reason)
	}
	return v
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
	return -n.pen.Get(p)
}
