package consensus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the size of every hash in the protocol.
const HashSize = 32

// Hash is a SHA-256 based digest. Its text form is plain lowercase hex in byte
// order (no reversal), and as a number it is read big-endian.
type Hash [HashSize]byte

// String returns the lowercase hex form.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeroes.
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as hex (JSON strings, config files).
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses a 64-character hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash parses a 64-character hex string.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("hash must be %d hex characters, got %d", 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("hash is not hex: %w", err)
	}
	return h, nil
}

// DoubleSHA256 returns SHA-256(SHA-256(b)).
func DoubleSHA256(b []byte) Hash {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}

// TaggedHash is BIP-340's tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || msg).
// Every signed or derived value uses its own tag so a hash of one kind can
// never be replayed as another.
func TaggedHash(tag string, msgs ...[]byte) Hash {
	th, ok := protocolTags[tag]
	if !ok {
		th = sha256.Sum256([]byte(tag))
	}
	// Addresses, merkle nodes and sighashes are short: hash them from a
	// stack buffer, without the hash.Hash allocation.
	var buf [256]byte
	n := copy(buf[:], th[:])
	n += copy(buf[n:], th[:])
	for _, m := range msgs {
		if n+len(m) > len(buf) {
			return taggedHashLong(&th, msgs)
		}
		n += copy(buf[n:], m)
	}
	return sha256.Sum256(buf[:n])
}

func taggedHashLong(th *[32]byte, msgs [][]byte) Hash {
	h := sha256.New()
	h.Write(th[:])
	h.Write(th[:])
	for _, m := range msgs {
		h.Write(m)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// protocolTags holds SHA-256(tag) for the tags hashed per transaction or
// per merkle node, so those hashes cost one compression less. Read-only
// after package initialisation.
var protocolTags = func() map[string][32]byte {
	m := make(map[string][32]byte)
	for _, t := range []string{"cairn/tx", "cairn/address", "cairn/merkle"} {
		m[t] = sha256.Sum256([]byte(t))
	}
	return m
}()
