package p2p

import (
	"context"
	"errors"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Verdicts follow GossipSub semantics: Accept relays, Ignore drops without
// blame (we already have it, or it may be valid on another tip), Reject
// drops and counts an invalid delivery against the sender's score.

// stateDependent codes can be valid against the sender's tip and invalid
// against ours, so they are no evidence of misbehaviour.
func stateDependent(c consensus.ErrorCode) bool {
	return c == consensus.ErrInsufficientFunds || c == consensus.ErrBadNonce
}

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
	_, err = n.pool.Add(tx)
	if err == nil {
		return pubsub.ValidationAccept
	}
	if code := consensus.CodeOf(err); code != 0 && !stateDependent(code) {
		return pubsub.ValidationReject
	}
	// Pool policy (already known, nonce too low, underpriced, full) or a
	// state-dependent rule: not the sender's fault.
	if local && n.pool.Has(tx.ID()) {
		return pubsub.ValidationAccept
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
	_, isOrphan, err := n.chain.ProcessBlock(b)
	switch {
	case errors.Is(err, chain.ErrAlreadyHave):
		if local {
			return pubsub.ValidationAccept
		}
		return pubsub.ValidationIgnore
	case err != nil:
		switch consensus.CodeOf(err) {
		case 0, consensus.ErrTimeTooNew:
			// Storage trouble, or our clock may be behind: no blame.
			return pubsub.ValidationIgnore
		}
		return pubsub.ValidationReject
	case isOrphan:
		n.onOrphan(from, hash)
	}
	return pubsub.ValidationAccept
}

// onOrphan asks the relaying peer for its status, which triggers a sync of
// the missing ancestors if it has more work.
func (n *Node) onOrphan(from peer.ID, hash consensus.Hash) {
	n.log.Debug("orphan block from gossip", "hash", hash, "missing", n.chain.OrphanRoot(hash), "peer", from)
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
