package p2p

import (
	"context"
	"errors"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Verdicts follow GossipSub semantics: Accept relays, Ignore drops without
// blame (we already have it, or it may be valid on another tip), Reject
// drops and counts an invalid delivery against the sender's score.

func (n *Node) validateTx(_ context.Context, from peer.ID, m *pubsub.Message) (res pubsub.ValidationResult) {
	if !n.enter() {
		return pubsub.ValidationIgnore
	}
	defer n.leave()
	local := from == n.host.ID()
	defer n.countVerdict(KindTx, local, &res)
	return n.checkTx(m.Data, local)
}

func (n *Node) checkTx(data []byte, local bool) (res pubsub.ValidationResult) {
	defer n.recoverVerdict("tx validator", &res)
	tx, err := consensus.DecodeTx(data)
	if err != nil {
		return pubsub.ValidationReject
	}
	if local && n.pool.Has(tx.ID()) {
		return pubsub.ValidationAccept // added by the caller before publishing
	}
	if local {
		_, err = n.pool.Add(tx)
	} else {
		var ok bool
		if err, ok = n.txBatch.add(tx); !ok {
			return pubsub.ValidationIgnore // closing
		}
	}
	if err == nil {
		return pubsub.ValidationAccept
	}
	if local && n.pool.Has(tx.ID()) {
		return pubsub.ValidationAccept
	}
	return gossipVerdict(peers.Judge(peers.KindTx, err))
}

// gossipVerdict maps the policy to GossipSub: a penalty becomes Reject,
// which pubsub's score charges to the sender (so our own penalty is not
// added on top); anything else is dropped unrelayed without blame.
func gossipVerdict(v peers.Verdict) pubsub.ValidationResult {
	if v.Action == peers.Penalize {
		return pubsub.ValidationReject
	}
	return pubsub.ValidationIgnore
}

func (n *Node) validateBlock(_ context.Context, from peer.ID, m *pubsub.Message) (res pubsub.ValidationResult) {
	if !n.enter() {
		return pubsub.ValidationIgnore
	}
	defer n.leave()
	local := from == n.host.ID()
	defer n.countVerdict(KindBlock, local, &res)
	return n.checkBlock(from, m.Data, local)
}

func (n *Node) checkBlock(from peer.ID, data []byte, local bool) (res pubsub.ValidationResult) {
	defer n.recoverVerdict("block validator", &res)
	if len(data) > n.params.MaxBlockSize {
		return pubsub.ValidationReject
	}
	b, err := consensus.DecodeBlock(data)
	if err != nil {
		return pubsub.ValidationReject
	}
	hash := b.Hash()
	if local && n.chain.HaveBlock(hash) {
		return pubsub.ValidationAccept // processed before publishing
	}
	if !local && !n.chain.HaveHeader(b.Header.PrevHash) {
		// Headers-first: a block whose parent we do not know is not held
		// as an orphan (that would let anyone fill memory with cheap
		// branches); the sender's status and a sync bring its ancestors
		// through pre-sync if its branch has the work.
		n.onOrphan(from, hash)
		return pubsub.ValidationIgnore
	}
	isMain, isOrphan, err := n.chain.ProcessBlock(b)
	switch {
	case errors.Is(err, chain.ErrAlreadyHave) && local:
		return pubsub.ValidationAccept
	case errors.Is(err, chain.ErrLowWork):
		// Not worth storing on what we know: if the sender's branch has
		// more work than ours, its status says so and sync pre-syncs it.
		if !local {
			n.refreshStatus(from)
		}
		return pubsub.ValidationIgnore
	case err != nil:
		return gossipVerdict(peers.Judge(peers.KindBlock, err))
	case isOrphan:
		// Not relayed: its ancestors come by sync from whoever has them.
		n.onOrphan(from, hash)
		return pubsub.ValidationIgnore
	case !isMain:
		// A side branch: stored, but relaying it would spread work that
		// does not beat our tip. Peers that need it fetch it by sync.
		return pubsub.ValidationIgnore
	}
	return pubsub.ValidationAccept
}

// onOrphan asks the relaying peer for its status, which triggers a sync of
// the missing ancestors if it has more work.
func (n *Node) onOrphan(from peer.ID, hash consensus.Hash) {
	n.log.Debug("orphan block from gossip", "hash", hash, "peer", from)
	if from != n.host.ID() {
		n.refreshStatus(from)
	}
	n.triggerSync()
}

func (n *Node) countVerdict(kind string, local bool, res *pubsub.ValidationResult) {
	v := VerdictIgnore
	switch {
	case local && *res == pubsub.ValidationAccept:
		v = VerdictLocal
	case *res == pubsub.ValidationAccept:
		v = VerdictAccept
	case *res == pubsub.ValidationReject:
		v = VerdictReject
	}
	n.stats.verdict(kind, v)
}

// recoverVerdict turns a panic on malformed data into Ignore: it is our bug,
// so the peer is not blamed, but the message goes no further.
func (n *Node) recoverVerdict(where string, res *pubsub.ValidationResult) {
	if r := recover(); r != nil {
		n.recoverPanicValue(where, r)
		*res = pubsub.ValidationIgnore
	}
}
