package p2p

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by Node methods.
var (
	ErrClosed       = errors.New("p2p: node is closed")
	ErrNotStarted   = errors.New("p2p: node is not started")
	ErrStarted      = errors.New("p2p: node already started")
	ErrNotConnected = errors.New("p2p: peer is not connected")
	ErrQueueFull    = errors.New("p2p: publish queue is full")
)

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field string
	Msg   string
}

func (e ConfigError) Error() string { return "p2p: config " + e.Field + ": " + e.Msg }

// RefusedError is returned when we will not talk to a peer: it is banned for
// misbehaving or it failed the handshake (another network or version).
type RefusedError struct {
	Peer   string
	Reason string
	Until  time.Time
}

func (e RefusedError) Error() string {
	return fmt.Sprintf("p2p: peer %s refused until %s: %s", e.Peer, e.Until.Format(time.RFC3339), e.Reason)
}

// HandshakeReason classifies a failed status handshake.
type HandshakeReason string

// Handshake failure reasons.
const (
	ReasonGenesis   HandshakeReason = "genesis mismatch"
	ReasonVersion   HandshakeReason = "incompatible protocol version"
	ReasonMalformed HandshakeReason = "malformed status"
	ReasonStream    HandshakeReason = "status exchange failed"
)

// HandshakeError describes why a peer failed the status handshake.
type HandshakeError struct {
	Reason HandshakeReason
	Msg    string
}

func (e HandshakeError) Error() string { return "p2p: handshake: " + string(e.Reason) + ": " + e.Msg }

// permanent reports whether the failure means the peer can never be useful,
// so it is remembered and not redialled.
func (e HandshakeError) permanent() bool {
	return e.Reason == ReasonGenesis || e.Reason == ReasonVersion
}
