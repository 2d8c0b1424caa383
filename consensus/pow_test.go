package consensus

import (
	"errors"
	"testing"

	"github.com/holiman/uint256"
)

// testPowLimit is Bitcoin's and BCH's mainnet limit, 2^224 - 1.
func testPowLimit() *uint256.Int {
	return new(uint256.Int).SubUint64(new(uint256.Int).Lsh(uint256.NewInt(1), 224), 1)
}

func hexInt(t *testing.T, s string) *uint256.Int {
	t.Helper()
	v, err := uint256.FromHex(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return v
}

// Vectors from Bitcoin Core's src/test/arith_uint256_tests.cpp (bignum_SetCompact).
// compact is what GetCompact(false) returns for the decoded value.
func TestCompactToTarget(t *testing.T) {
	tests := []struct {
		bits      uint32
		target    string
		negative  bool
		overflow  bool
		reencoded uint32
	}{
		{0x00000000, "0x0", false, false, 0},
		{0x00123456, "0x0", false, false, 0},
		{0x01003456, "0x0", false, false, 0},
		{0x02000056, "0x0", false, false, 0},
		{0x03000000, "0x0", false, false, 0},
		{0x04000000, "0x0", false, false, 0},
		{0x00923456, "0x0", false, false, 0},
		{0x01803456, "0x0", false, false, 0},
		{0x02800056, "0x0", false, false, 0},
		{0x03800000, "0x0", false, false, 0},
		{0x04800000, "0x0", false, false, 0},
		{0x01123456, "0x12", false, false, 0x01120000},
		{0x01fedcba, "0x7e", true, false, 0x017e0000},
		{0x02123456, "0x1234", false, false, 0x02123400},
		{0x03123456, "0x123456", false, false, 0x03123456},
		{0x04123456, "0x12345600", false, false, 0x04123456},
		{0x04923456, "0x12345600", true, false, 0x04123456},
		{0x05009234, "0x92340000", false, false, 0x05009234},
		{0x20123456, "0x1234560000000000000000000000000000000000000000000000000000000000", false, false, 0x20123456},
		{0x1d00ffff, "0xffff0000000000000000000000000000000000000000000000000000", false, false, 0x1d00ffff},
		{0x207fffff, "0x7fffff0000000000000000000000000000000000000000000000000000000000", false, false, 0x207fffff},
		// Overflow edges: size 33 allows one mantissa byte, 34 none beyond 0xff.
		{0x210000ff, "0xff000000000000000000000000000000000000000000000000000000000000", false, false, 0x2000ff00},
		{0x21010000, "", false, true, 0},
		{0x2200ffff, "", false, true, 0},
		{0x23000001, "", false, true, 0},
		{0xff123456, "", false, true, 0},
	}
	for _, tc := range tests {
		got, neg, of := CompactToTarget(tc.bits)
		if neg != tc.negative || of != tc.overflow {
			t.Errorf("%08x: negative=%v overflow=%v, want %v %v", tc.bits, neg, of, tc.negative, tc.overflow)
		}
		if tc.overflow {
			continue // value is Core's truncation; only the flag matters
		}
		if want := hexInt(t, tc.target); !got.Eq(want) {
			t.Errorf("%08x: target %s, want %s", tc.bits, got.Hex(), want.Hex())
		}
		if c := TargetToCompact(got); c != tc.reencoded {
			t.Errorf("%08x: re-encoded %08x, want %08x", tc.bits, c, tc.reencoded)
		}
	}
}

func TestTargetToCompact(t *testing.T) {
	tests := []struct {
		target string
		want   uint32
	}{
		{"0x0", 0},
		{"0x1", 0x01010000},
		{"0x80", 0x02008000}, // bit 23 would be the sign, so grow a byte
		{"0x7fffff", 0x037fffff},
		{"0x800000", 0x04008000},
		{"0x123456789", 0x05012345}, // truncated, not rounded
		{"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 0x1d00ffff},
		{"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 0x2100ffff},
	}
	for _, tc := range tests {
		if got := TargetToCompact(hexInt(t, tc.target)); got != tc.want {
			t.Errorf("TargetToCompact(%s) = %08x, want %08x", tc.target, got, tc.want)
		}
	}
}

// checkCompactRoundTrip asserts the invariants shared by the unit and fuzz tests.
func checkCompactRoundTrip(t *testing.T, bits uint32) {
	target, _, overflow := CompactToTarget(bits)
	if overflow {
		return
	}
	c := TargetToCompact(target)
	if c&0x00800000 != 0 {
		t.Fatalf("%08x: re-encoded %08x has the sign bit", bits, c)
	}
	back, neg, of := CompactToTarget(c)
	if neg || of || !back.Eq(target) {
		t.Fatalf("%08x -> %s -> %08x -> %s (neg=%v of=%v)", bits, target.Hex(), c, back.Hex(), neg, of)
	}
	if again := TargetToCompact(back); again != c {
		t.Fatalf("%08x: encoding not stable: %08x then %08x", bits, c, again)
	}
}

func TestCompactRoundTrip(t *testing.T) {
	for _, bits := range []uint32{0, 1, 0x01010000, 0x02008000, 0x1a2b3c4d, 0x1802aee8,
		0x1d00ffff, 0x207fffff, 0x04923456, 0x01fedcba, 0x2100ff00, 0xffffffff} {
		checkCompactRoundTrip(t, bits)
	}
	// A value truncated by TargetToCompact never grows.
	v := hexInt(t, "0x123456789abcdef")
	if back, _, _ := CompactToTarget(TargetToCompact(v)); back.Gt(v) {
		t.Errorf("truncation grew %s to %s", v.Hex(), back.Hex())
	}
}

func FuzzCompactRoundTrip(f *testing.F) {
	for _, seed := range []uint32{0, 0x1d00ffff, 0x04923456, 0x01003456, 0xff123456, 0x2100ffff, 0x03800000} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		checkCompactRoundTrip(t, bits)
	})
}

func TestHashToBig(t *testing.T) {
	var low, high Hash
	low[31] = 1
	high[0] = 0x80
	tests := []struct {
		h    Hash
		want string
	}{
		{Hash{}, "0x0"},
		{low, "0x1"},
		{high, "0x8000000000000000000000000000000000000000000000000000000000000000"},
	}
	for _, tc := range tests {
		if got := HashToBig(tc.h); !got.Eq(hexInt(t, tc.want)) {
			t.Errorf("HashToBig(%s) = %s, want %s", tc.h, got.Hex(), tc.want)
		}
	}
}

func TestWorkForBits(t *testing.T) {
	tests := []struct {
		bits uint32
		want string
	}{
		{0x1d00ffff, "0x100010001"}, // Bitcoin's genesis chainwork
		{0x207fffff, "0x2"},         // regtest
		{0x01010000, "0x8000000000000000000000000000000000000000000000000000000000000000"}, // target 1
		{0x00000000, "0x0"}, // zero target
		{0x01003456, "0x0"}, // zero target
		{0x04923456, "0x0"}, // negative
		{0xff123456, "0x0"}, // overflow
	}
	for _, tc := range tests {
		if got := WorkForBits(tc.bits); !got.Eq(hexInt(t, tc.want)) {
			t.Errorf("WorkForBits(%08x) = %s, want %s", tc.bits, got.Hex(), tc.want)
		}
	}
}

func TestCheckProofOfWork(t *testing.T) {
	limit := testPowLimit()
	target, _, _ := CompactToTarget(0x1d00ffff)
	atTarget := Hash(target.Bytes32())
	aboveTarget := Hash(new(uint256.Int).AddUint64(target, 1).Bytes32())
	var maxHash Hash
	for i := range maxHash {
		maxHash[i] = 0xff
	}
	tests := []struct {
		name string
		hash Hash
		bits uint32
		want ErrorCode // 0 means valid
	}{
		{"zero hash", Hash{}, 0x1d00ffff, 0},
		{"hash equals target", atTarget, 0x1d00ffff, 0},
		{"hash one above target", aboveTarget, 0x1d00ffff, ErrHighHash},
		{"max hash", maxHash, 0x1d00ffff, ErrHighHash},
		{"target 1, hash 0", Hash{}, 0x01010000, 0},
		{"target above limit", Hash{}, 0x1d010000, ErrBadTargetLimit},
		{"zero target", Hash{}, 0x01003456, ErrBadTargetLimit},
		{"negative target", Hash{}, 0x04923456, ErrBadTargetLimit},
		{"overflow target", Hash{}, 0xff123456, ErrBadTargetLimit},
	}
	for _, tc := range tests {
		err := CheckProofOfWork(tc.hash, tc.bits, limit)
		if tc.want == 0 {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, RuleError{Code: tc.want}) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if CodeOf(err) != tc.want {
			t.Errorf("%s: CodeOf = %v, want %v", tc.name, CodeOf(err), tc.want)
		}
	}
}
