package consensus

import "github.com/holiman/uint256"

// Compact ("nBits") targets follow Bitcoin Core's arith_uint256 bit for bit,
// so that headers, explorers and mining software agree with the reference.

// CompactToTarget decodes Bitcoin's nBits compact form: the top byte is a
// byte length, the low 23 bits a mantissa and bit 23 a sign. negative and
// overflow are reported exactly as arith_uint256::SetCompact does; on overflow
// the target is the 256-bit truncation, again as in Core.
func CompactToTarget(bits uint32) (target *uint256.Int, negative bool, overflow bool) {
	size := bits >> 24
	word := uint64(bits & 0x007fffff)
	target = new(uint256.Int)
	if size <= 3 {
		word >>= 8 * (3 - size)
		target.SetUint64(word)
	} else {
		target.SetUint64(word)
		if shift := 8 * (size - 3); shift < 256 {
			target.Lsh(target, uint(shift))
		} else {
			target.Clear()
		}
	}
	// Core derives both flags from the (possibly right-shifted) mantissa, so
	// e.g. 0x01803456 is neither negative nor overflowing: it is just zero.
	negative = word != 0 && bits&0x00800000 != 0
	overflow = word != 0 && (size > 34 ||
		(word > 0xff && size > 33) ||
		(word > 0xffff && size > 32))
	return target, negative, overflow
}

// TargetToCompact encodes t exactly as Core's GetCompact(false): the
// mantissa is truncated (never rounded) and the sign bit is never set.
func TargetToCompact(t *uint256.Int) uint32 {
	size := uint32((t.BitLen() + 7) / 8)
	var compact uint32
	if size <= 3 {
		compact = uint32(t.Uint64() << (8 * (3 - size)))
	} else {
		var tmp uint256.Int
		compact = uint32(tmp.Rsh(t, uint(8*(size-3))).Uint64())
	}
	// Bit 23 would read back as a sign: move the mantissa down a byte.
	if compact&0x00800000 != 0 {
		compact >>= 8
		size++
	}
	return compact | size<<24
}

// HashToBig reads h as a big-endian 256-bit number.
func HashToBig(h Hash) *uint256.Int {
	return new(uint256.Int).SetBytes32(h[:])
}

// WorkForBits returns the expected number of hashes to meet the target,
// 2^256 / (target+1), or zero for a negative, overflowing or zero target.
// Chain selection sums this, so invalid bits must contribute nothing.
func WorkForBits(bits uint32) *uint256.Int {
	target, negative, overflow := CompactToTarget(bits)
	if negative || overflow || target.IsZero() {
		return new(uint256.Int)
	}
	// 2^256 does not fit in 256 bits; Core's identity
	// 2^256/(t+1) == (^t)/(t+1) + 1 avoids it. A compact target is below
	// 2^255, so t+1 cannot wrap.
	var notT, denom uint256.Int
	notT.Not(target)
	denom.AddUint64(target, 1)
	work := new(uint256.Int).Div(&notT, &denom)
	return work.AddUint64(work, 1)
}

// CheckProofOfWork checks that bits decode to a valid target in
// (0, powLimit] and that the hash, read as a number, does not exceed it.
func CheckProofOfWork(hash Hash, bits uint32, powLimit *uint256.Int) error {
	target, negative, overflow := CompactToTarget(bits)
	switch {
	case negative:
		return ruleErr(ErrBadTargetLimit, "compact target %08x is negative", bits)
	case overflow:
		return ruleErr(ErrBadTargetLimit, "compact target %08x overflows 256 bits", bits)
	case target.IsZero():
		return ruleErr(ErrBadTargetLimit, "compact target %08x is zero", bits)
	case target.Gt(powLimit):
		return ruleErr(ErrBadTargetLimit, "target %s above pow limit %s", target.Hex(), powLimit.Hex())
	}
	if HashToBig(hash).Gt(target) {
		return ruleErr(ErrHighHash, "hash %s above target %s", hash, target.Hex())
	}
	return nil
}
