// Package wire is Cairn's peer-to-peer encoding: protocol and topic
// identifiers, the protocol limits, length-prefixed frames with deadlines,
// and the fixed-layout messages (status, headers, block and tx requests,
// tx inventories).
//
// It owns bytes only: no libp2p host, no chain, no policy. Every decoder
// checks counts against the protocol limits before allocating and rejects
// trailing bytes, so each message has exactly one encoding; a violation is
// a ProtocolError, which callers treat as misbehaviour.
package wire
