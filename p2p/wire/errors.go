package wire

import "fmt"

// ProtocolError is a peer protocol violation (bad frame, bad encoding,
// limit exceeded): the peer sent something no honest node sends.
type ProtocolError struct{ Msg string }

func (e ProtocolError) Error() string { return "p2p: protocol violation: " + e.Msg }

// Errorf builds a ProtocolError.
func Errorf(format string, args ...any) error {
	return ProtocolError{Msg: fmt.Sprintf(format, args...)}
}
