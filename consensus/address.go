package consensus

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// AddressSize is the length of an account address.
const AddressSize = 20

// addressVersion is the first bech32 data symbol, reserved for future address kinds.
const addressVersion = 0

// Address identifies an account: the first 20 bytes of
// TaggedHash("cairn/address", x-only public key).
type Address [AddressSize]byte

// AddressFromPubKey derives the account address of a 32-byte x-only key.
func AddressFromPubKey(pub [32]byte) Address {
	h := TaggedHash("cairn/address", pub[:])
	var a Address
	copy(a[:], h[:AddressSize])
	return a
}

// IsZero reports whether a is the all-zero address.
func (a Address) IsZero() bool { return a == Address{} }

// Encode returns the bech32m form with the network's human-readable prefix.
func (a Address) Encode(hrp string) string {
	conv, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		// ConvertBits only fails on out-of-range input, impossible for bytes.
		panic(err)
	}
	s, err := bech32.EncodeM(hrp, append([]byte{addressVersion}, conv...))
	if err != nil {
		panic(err) // only on invalid hrp, which Params never has
	}
	return s
}

// DecodeAddress parses a bech32m address and checks it belongs to the network
// with prefix hrp. Errors name the problem so a person can fix it.
func DecodeAddress(s, hrp string) (Address, error) {
	var a Address
	if len(s) > 90 {
		return a, fmt.Errorf("address too long (%d characters)", len(s))
	}
	gotHRP, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		var cs bech32.ErrInvalidChecksum
		if errors.As(err, &cs) {
			// Never echo the expected checksum: it would turn a typo into a
			// valid-looking address for someone else's account.
			return a, fmt.Errorf("invalid address %q: checksum mismatch (check for a typo)", s)
		}
		return a, fmt.Errorf("invalid address %q: %v (check for a typo)", s, err)
	}
	if version != bech32.VersionM {
		return a, fmt.Errorf("invalid address %q: not bech32m", s)
	}
	if gotHRP != hrp {
		return a, fmt.Errorf("address %q is for another network (prefix %q, this network uses %q)", s, gotHRP, hrp)
	}
	if len(data) < 1 || data[0] != addressVersion {
		return a, fmt.Errorf("invalid address %q: unknown address version", s)
	}
	raw, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return a, fmt.Errorf("invalid address %q: %v", s, err)
	}
	if len(raw) != AddressSize {
		return a, fmt.Errorf("invalid address %q: payload is %d bytes, want %d", s, len(raw), AddressSize)
	}
	copy(a[:], raw)
	return a, nil
}
