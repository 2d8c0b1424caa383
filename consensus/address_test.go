package consensus

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

func TestAddressRoundTrip(t *testing.T) {
	addrs := []Address{{}, seedAddr("alice"), seedAddr("bob"), {0: 0xff, 19: 0xff}}
	for i := range addrs[3] {
		addrs[3][i] = 0xff
	}
	for _, p := range []*Params{MainParams(), TestParams(), RegtestParams()} {
		for _, a := range addrs {
			s := a.Encode(p.AddressHRP)
			if !strings.HasPrefix(s, p.AddressHRP+"1") {
				t.Fatalf("%s: %q lacks prefix %q", p.Name, s, p.AddressHRP+"1")
			}
			got, err := DecodeAddress(s, p.AddressHRP)
			if err != nil || got != a {
				t.Fatalf("%s: decode %q: %x, %v", p.Name, s, got, err)
			}
			// All-uppercase is valid bech32 and decodes to the same address.
			if got, err := DecodeAddress(strings.ToUpper(s), p.AddressHRP); err != nil || got != a {
				t.Fatalf("%s: uppercase %q: %v", p.Name, s, err)
			}
		}
	}
}

func TestAddressWrongNetwork(t *testing.T) {
	s := seedAddr("alice").Encode("tcairn")
	_, err := DecodeAddress(s, "cairn")
	if err == nil || !strings.Contains(err.Error(), "another network") || !strings.Contains(err.Error(), `"tcairn"`) {
		t.Fatalf("got %v, want an error naming the other network", err)
	}
}

func TestAddressRejects(t *testing.T) {
	const hrp = "cairn"
	good := seedAddr("alice").Encode(hrp)
	conv := func(b []byte) []byte {
		c, err := bech32.ConvertBits(b, 8, 5, true)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	payload := seedAddr("alice")
	encM := func(data []byte) string {
		s, err := bech32.EncodeM(hrp, data)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	plain, err := bech32.Encode(hrp, append([]byte{0}, conv(payload[:])...))
	if err != nil {
		t.Fatal(err)
	}
	// Change one data character (not the last: keep the checksum wrong, not just altered).
	i := len(hrp) + 5
	flipped := []byte(good)
	if flipped[i] == 'q' {
		flipped[i] = 'p'
	} else {
		flipped[i] = 'q'
	}
	tests := []struct{ name, in, want string }{
		{"bad checksum", string(flipped), "invalid address"},
		{"bech32 not bech32m", plain, "not bech32m"},
		{"19-byte payload", encM(append([]byte{0}, conv(payload[:19])...)), "payload is 19 bytes"},
		{"21-byte payload", encM(append([]byte{0}, conv(append(payload[:], 0))...)), "payload is 21 bytes"},
		{"32-byte payload", encM(append([]byte{0}, conv(make([]byte, 32))...)), "payload is 32 bytes"},
		{"version 1", encM(append([]byte{1}, conv(payload[:])...)), "unknown address version"},
		{"no data", encM(nil), "unknown address version"},
		{"empty", "", "invalid address"},
		{"mixed case", good[:10] + strings.ToUpper(good[10:]), "invalid address"},
		{"too long", hrp + "1" + strings.Repeat("q", 90), "too long"},
		{"no separator", "cairnqqqq", "invalid address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := DecodeAddress(tc.in, hrp)
			if err == nil {
				t.Fatalf("%q decoded to %x", tc.in, a)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestAddressFromPubKey(t *testing.T) {
	pub := pubOf(keyFromSeed("alice"))
	a := AddressFromPubKey(pub)
	h := TaggedHash("cairn/address", pub[:])
	if string(a[:]) != string(h[:AddressSize]) {
		t.Fatal("address is not the first 20 bytes of TaggedHash(cairn/address, pubkey)")
	}
	if AddressFromPubKey(pub) != a || a.IsZero() {
		t.Fatal("AddressFromPubKey not stable")
	}
	other := pub
	other[0] ^= 1
	if AddressFromPubKey(other) == a {
		t.Fatal("different keys share an address")
	}
	tx := &Tx{Kind: TxTransfer, PubKey: pub}
	if tx.Sender() != a {
		t.Fatal("Tx.Sender differs from AddressFromPubKey")
	}
	if (&Tx{Kind: TxCoinbase, PubKey: pub}).Sender() != (Address{}) {
		t.Fatal("coinbase has a sender")
	}
	// Pinned: a change here changes every account on every network.
	const want = "rcairn1qqzgm56j2cfw5cwhly3yerzgst6hkd7e3dw6avz"
	if s := a.Encode("rcairn"); s != want {
		t.Fatalf("alice's regtest address is %q, pinned %q", s, want)
	}
}

func TestTaggedHash(t *testing.T) {
	tag := sha256.Sum256([]byte("cairn/tx"))
	want := sha256.Sum256(append(append(append([]byte(nil), tag[:]...), tag[:]...), "abc"...))
	if got := TaggedHash("cairn/tx", []byte("a"), []byte("bc")); got != Hash(want) {
		t.Fatalf("TaggedHash %s, want %x", got, want)
	}
	first := sha256.Sum256([]byte("abc"))
	if DoubleSHA256([]byte("abc")) != Hash(sha256.Sum256(first[:])) {
		t.Fatal("DoubleSHA256 wrong")
	}
}
