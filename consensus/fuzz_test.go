package consensus

import (
	"bytes"
	"strings"
	"testing"
)

// The decoders' contract: any input either fails with a RuleError or decodes
// to a value whose encoding is exactly the input. Together with the strict
// decoder this means every value has one encoding, so ids and hashes cannot
// be malleated in transit.

func FuzzDecodeTx(f *testing.F) {
	for _, tx := range sampleTxs(f) {
		f.Add(tx.Encode())
	}
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, in []byte) {
		tx, err := DecodeTx(in)
		if err != nil {
			if CodeOf(err) == 0 {
				t.Fatalf("error is not a RuleError: %v", err)
			}
			return
		}
		if out := tx.Encode(); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		if tx.EncodedSize() != len(in) {
			t.Fatalf("EncodedSize %d, input %d bytes", tx.EncodedSize(), len(in))
		}
		_ = tx.VerifySignature() // must not panic on arbitrary keys and signatures
	})
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(sampleBlock(f).Header.Encode())
	f.Add(RegtestParams().Genesis.Header.Encode())
	f.Add(make([]byte, HeaderSize))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := DecodeHeader(in)
		if err != nil {
			if CodeOf(err) == 0 {
				t.Fatalf("error is not a RuleError: %v", err)
			}
			return
		}
		if out := h.Encode(); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
	})
}

func FuzzDecodeBlock(f *testing.F) {
	f.Add(sampleBlock(f).Encode())
	f.Add(RegtestParams().Genesis.Encode())
	f.Add(MainParams().Genesis.Encode())
	f.Add((&Block{}).Encode())
	p := RegtestParams()
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := DecodeBlock(in)
		if err != nil {
			if CodeOf(err) == 0 {
				t.Fatalf("error is not a RuleError: %v", err)
			}
			return
		}
		if out := b.Encode(); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		if b.EncodedSize() != len(in) {
			t.Fatalf("EncodedSize %d, input %d bytes", b.EncodedSize(), len(in))
		}
		// Stage 1 must return an error or nil on anything that decodes.
		_ = CheckBlockSanity(b, p, 2)
		_ = CheckBlockContext(b, 1)
	})
}

func FuzzDecodeAddress(f *testing.F) {
	hrps := []string{"cairn", "tcairn", "rcairn"}
	for i, hrp := range hrps {
		f.Add(seedAddr("alice").Encode(hrp), uint8(i))
		f.Add(Address{}.Encode(hrp), uint8(i))
	}
	f.Add(strings.ToUpper(seedAddr("bob").Encode("cairn")), uint8(0))
	f.Add("cairn1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", uint8(0))
	f.Fuzz(func(t *testing.T, s string, hi uint8) {
		hrp := hrps[int(hi)%len(hrps)]
		a, err := DecodeAddress(s, hrp)
		if err != nil {
			return
		}
		// bech32 allows an all-uppercase form; the canonical form is lowercase.
		if enc := a.Encode(hrp); enc != strings.ToLower(s) {
			t.Fatalf("round trip: %q decoded to %x, encodes as %q", s, a, enc)
		}
		if b, err := DecodeAddress(a.Encode(hrp), hrp); err != nil || b != a {
			t.Fatalf("re-decode of %q: %x %v", a.Encode(hrp), b, err)
		}
	})
}
