package p2p

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Queue sizes are explicit so bursts are absorbed and losses are counted
// (Stats.Dropped) rather than silent.
const (
	validateQueueSize = 1 << 12
	// outboundQueueSize is per peer, in messages: a 500-tx RPC batch
	// becomes 500 publishes at once, relays of three peers' bursts come
	// on top, and at 512 (and still at 4,096) a busy peer lost thousands
	// per minute at 2,000 tx/s, each loss a nonce gap the receiving pool
	// waits on. Tx messages are a few hundred bytes: ~4 MiB per peer.
	outboundQueueSize = 1 << 14
	// publishQueueSize holds what we accepted and still have to publish;
	// at 1<<13 a node taking 500-tx RPC batches under load dropped
	// thousands in five minutes (a tx in our pool that no peer hears of).
	publishQueueSize = 1 << 15
	// gossipMargin covers protobuf framing around a maximum-size block.
	gossipMargin = 64 << 10
	// txSubBuffer and blockSubBuffer size our own subscriptions' buffers
	// (pubsub's default is 32). A delivered message is already validated
	// and in memory, and the drain loop only lets go of it, so a deep
	// buffer costs pointers, not copies; a burst of thousands of messages
	// then waits for the drain instead of being dropped.
	txSubBuffer    = 1 << 14
	blockSubBuffer = 1 << 12
	// txValidateConcurrency bounds tx validations in flight; beyond it
	// pubsub drops (ValidateThrottled). A validation mostly waits for its
	// micro-batch, so a burst may have thousands waiting at once.
	txValidateConcurrency = 1 << 13
	txValidateTimeout     = 10 * time.Second
	// seenTTL is how long pubsub remembers a message id, and the peer
	// score a delivery (default 120 s). Both keep a record per message:
	// at 2,000 tx/s the default held ~55 MB of score records and ~24 MB of
	// seen ids. A copy arriving later is validated again and ignored (the
	// pool or chain already has it), which costs nothing.
	seenTTL              = 30 * time.Second
	blockValidateTimeout = 60 * time.Second
)

type outMsg struct {
	kind  string
	topic *pubsub.Topic
	data  []byte
}

// gossip holds the GossipSub router and our two topics.
type gossip struct {
	ps                  *pubsub.PubSub
	txTopic, blockTopic *pubsub.Topic
	out                 chan outMsg
}

// messageID is content-addressed: the same tx or block has the same id
// whoever publishes it, so pubsub's seen cache drops re-publications.
func messageID(m *pb.Message) string {
	h := sha256.New()
	h.Write([]byte(m.GetTopic()))
	h.Write([]byte{0})
	h.Write(m.Data)
	return string(h.Sum(nil)[:20])
}

func (n *Node) startGossip() error {
	params, thresholds := scoreParams(n.txTopicName, n.blockTopicName, func(p peer.ID) float64 { return -n.pen.Get(p) })
	ps, err := pubsub.NewGossipSub(n.ctx, n.host,
		// Anonymous messages: the author is irrelevant to a tx or block and
		// signing would only cost CPU; ids come from the content.
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithSeenMessagesTTL(seenTTL),
		pubsub.WithMaxMessageSize(n.params.MaxBlockSize+gossipMargin),
		pubsub.WithValidateQueueSize(validateQueueSize),
		pubsub.WithPeerOutboundQueueSize(outboundQueueSize),
		pubsub.WithRawTracer(n.tracer),
		pubsub.WithPeerScore(params, thresholds),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(n.onScores), scoreInspect),
		pubsub.WithPeerExchange(false),
		pubsub.WithFloodPublish(true),
		pubsub.WithLogger(slog.New(pubsubLog{n.log.Handler()}).With("component", "pubsub")),
	)
	if err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	n.txBatch = n.startTxBatcher()
	if err := ps.RegisterTopicValidator(n.txTopicName, pubsub.ValidatorEx(n.validateTx),
		pubsub.WithValidatorTimeout(txValidateTimeout), pubsub.WithValidatorConcurrency(txValidateConcurrency)); err != nil {
		return fmt.Errorf("p2p: tx validator: %w", err)
	}
	if err := ps.RegisterTopicValidator(n.blockTopicName, pubsub.ValidatorEx(n.validateBlock),
		pubsub.WithValidatorTimeout(blockValidateTimeout), pubsub.WithValidatorConcurrency(8)); err != nil {
		return fmt.Errorf("p2p: block validator: %w", err)
	}
	g := &gossip{ps: ps, out: make(chan outMsg, publishQueueSize)}
	if g.txTopic, err = ps.Join(n.txTopicName); err != nil {
		return fmt.Errorf("p2p: join %s: %w", n.txTopicName, err)
	}
	if g.blockTopic, err = ps.Join(n.blockTopicName); err != nil {
		return fmt.Errorf("p2p: join %s: %w", n.blockTopicName, err)
	}
	for _, ts := range []struct {
		t   *pubsub.Topic
		buf int
	}{{g.txTopic, txSubBuffer}, {g.blockTopic, blockSubBuffer}} {
		t := ts.t
		// Subscribing puts us in the mesh; validators did the work, so the
		// delivered copies are only drained. pubsub drops (and we count,
		// Stats.Dropped.Undeliverable) what does not fit the buffer.
		sub, err := t.Subscribe(pubsub.WithBufferSize(ts.buf))
		if err != nil {
			return fmt.Errorf("p2p: subscribe %s: %w", t.String(), err)
		}
		n.loop("drain "+t.String(), func() {
			defer sub.Cancel()
			for {
				if _, err := sub.Next(n.ctx); err != nil {
					return
				}
			}
		})
	}
	n.gossip = g
	n.loop("publish", n.publishLoop)
	return nil
}

// BroadcastTx queues tx for gossip. The caller has added it to the mempool
// (the mempool's OnAccept hook is the natural caller). Re-broadcasting a tx
// that arrived by gossip is harmless: its content id is already seen.
func (n *Node) BroadcastTx(tx *consensus.Tx) error {
	if err := n.usable(); err != nil {
		return err
	}
	return n.enqueue(KindTx, n.gossip.txTopic, tx.Encode())
}

// BroadcastBlock queues b for gossip. The caller has processed it (e.g. the
// miner after ProcessBlock); an unprocessed block is processed first and
// not published if invalid.
func (n *Node) BroadcastBlock(b *consensus.Block) error {
	if err := n.usable(); err != nil {
		return err
	}
	return n.enqueue(KindBlock, n.gossip.blockTopic, b.Encode())
}

func (n *Node) enqueue(kind string, t *pubsub.Topic, data []byte) error {
	select {
	case n.gossip.out <- outMsg{kind: kind, topic: t, data: data}:
		return nil
	default:
		n.stats.publishDropped.Add(1)
		return ErrQueueFull
	}
}

// publishLoop publishes off the caller's goroutine: OnAccept may fire
// inside a validator, and publishing from there would re-enter pubsub.
func (n *Node) publishLoop() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case m := <-n.gossip.out:
			n.stats.publish(m.kind)
			if err := m.topic.Publish(n.ctx, m.data); err != nil && n.ctx.Err() == nil {
				n.log.Debug("publish refused", "kind", m.kind, "err", err)
			}
		}
	}
}

// pubsubLog demotes to debug pubsub's warning that the connection manager's
// tag queue is busy: under tx load it comes once per delivered message and
// says nothing an operator can act on.
type pubsubLog struct{ slog.Handler }

func (h pubsubLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && r.Message == "error bumping delivery tag" {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h pubsubLog) WithAttrs(as []slog.Attr) slog.Handler { return pubsubLog{h.Handler.WithAttrs(as)} }
func (h pubsubLog) WithGroup(g string) slog.Handler       { return pubsubLog{h.Handler.WithGroup(g)} }
