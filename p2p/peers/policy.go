package peers

import (
	"context"
	"errors"
	"fmt"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/p2p/wire"
)

// Kind is what a peer sent us, which sets the weight of a fault.
type Kind int

// Kinds of data judged by the policy.
const (
	KindBlock   Kind = iota + 1 // a block body (sync or gossip)
	KindHeader                  // a header in a sync batch
	KindTx                      // a transaction (gossip, push, inventory fetch)
	KindMessage                 // any other protocol message or stream
)

// Action is what to do about an error.
type Action int

// Actions, from harmless to punished.
const (
	// None: the data may well be valid and the sender honest (its clock or
	// tip differ from ours, our pool policy refused it, our disk failed).
	// Drop it, blame nobody.
	None Action = iota
	// Ignore: the data is redundant or unwanted (already known, too little
	// work, not connected yet). Drop it without relaying; no blame.
	Ignore
	// Penalize: the sender provably misbehaved; charge Verdict.Penalty.
	Penalize
)

func (a Action) String() string {
	switch a {
	case None:
		return "none"
	case Ignore:
		return "ignore"
	case Penalize:
		return "penalize"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Penalty amounts. A peer whose decayed total exceeds BanScore (100) is
// banned, so one invalid block or header, or one protocol violation, bans
// at once; invalid txs, stalls and work lies take several.
const (
	PenaltyInvalid = 150 // invalid block/header by consensus, malformed message
	PenaltyBadTx   = 20  // a tx invalid by consensus (not by state or policy)
	PenaltyStall   = 25  // a request timed out
	PenaltyLied    = 50  // status claimed more work than its headers hold
	BanScore       = 100
)

// Errors the node's own checks produce, judged like the chain's.
var (
	// ErrLiedWork: a peer's headers ended before adding the work its
	// status claimed.
	ErrLiedWork = errors.New("p2p: peer's headers do not add the work its status claimed")
	// ErrNotConnecting: a sync peer's headers do not connect to anything
	// we know or to the previous batch.
	ErrNotConnecting = errors.New("p2p: headers do not connect")
)

// Verdict is the policy's answer for one error.
type Verdict struct {
	Action  Action
	Penalty float64 // set when Action is Penalize
	Reason  string
}

// Judge maps any error met while handling what a peer sent (from the chain,
// the mempool, protocol decoding or our own sync checks) to an action. It is
// the one misbehaviour policy: sync, gossip validators, tx relay and stream
// handlers all ask it, so the same fault costs the same wherever it arrives.
// The table is documented in docs/PROTOCOL.md ("Peer misbehaviour").
func Judge(kind Kind, err error) Verdict {
	if err == nil {
		return Verdict{Action: None}
	}
	reason := err.Error()
	var pe wire.ProtocolError
	var me mempool.Error
	switch {
	case errors.Is(err, chain.ErrAlreadyHave):
		return Verdict{Action: Ignore, Reason: reason}
	case isLowWork(err):
		return Verdict{Action: Ignore, Reason: reason}
	case errors.As(err, &me):
		return Verdict{Action: None, Reason: reason} // pool policy
	case errors.As(err, &pe):
		return Verdict{Action: Penalize, Penalty: PenaltyInvalid, Reason: reason}
	case errors.Is(err, ErrLiedWork):
		return Verdict{Action: Penalize, Penalty: PenaltyLied, Reason: reason}
	case errors.Is(err, ErrNotConnecting):
		return Verdict{Action: Penalize, Penalty: PenaltyInvalid, Reason: reason}
	case errors.Is(err, context.Canceled):
		return Verdict{Action: None, Reason: reason}
	case wire.IsTimeout(err):
		return Verdict{Action: Penalize, Penalty: PenaltyStall, Reason: "request timed out"}
	}
	code := consensus.CodeOf(err)
	switch code {
	case 0:
		// Storage trouble, a dropped stream, a closed node: not the peer.
		return Verdict{Action: None, Reason: reason}
	case consensus.ErrTimeTooNew:
		// Our clock may be the one that is wrong; the block is refused for
		// now and can be fetched again later.
		return Verdict{Action: None, Reason: reason}
	case consensus.ErrBadNonce, consensus.ErrInsufficientFunds:
		// A loose tx may be valid against the sender's tip and not ours; a
		// block's state is fixed by its own parent, so there it is invalid.
		if kind == KindTx {
			return Verdict{Action: None, Reason: reason}
		}
	case consensus.ErrUnknownParent:
		return Verdict{Action: Ignore, Reason: reason}
	}
	if kind == KindTx {
		return Verdict{Action: Penalize, Penalty: PenaltyBadTx, Reason: reason}
	}
	return Verdict{Action: Penalize, Penalty: PenaltyInvalid, Reason: reason}
}

// isLowWork matches the chain's headers-first refusal of a block on a
// branch with less work than the tip: not a rule violation.
func isLowWork(err error) bool { return errors.Is(err, chain.ErrLowWork) }
