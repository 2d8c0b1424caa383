package consensus

import (
	"math/big"

	"github.com/holiman/uint256"
)

// aserti3-2d, the absolutely scheduled exponentially rising targets
// algorithm of Bitcoin Cash (spec 2020-11-15-asert.md, Mark Lundeberg and
// Jonathan Toomim; reference CalculateASERT in BCHN src/pow.cpp). Integer
// arithmetic only, so every node computes the same bits.

const (
	// asertRadixBits is the fixed-point precision of the exponent (2^16).
	asertRadixBits = 16
	// asertMaxExponent bounds the exponent we carry in int64. Beyond
	// +-300 whole halvings the result is pinned to powLimit or 1 anyway
	// (refTarget*factor < 2^241), so saturating there changes nothing.
	asertMaxExponent = 300 << asertRadixBits
	// asertFastLimit keeps |timeDiff - spacing*(heightDiff+1)| * 2^16 well
	// inside int64 so the reference's int64 expression is exact.
	asertFastLimit = 1 << 45
)

// ASERTTarget returns the compact target for the block after evalBlock.
//
//   - anchorBits: compact target of the anchor (the spec uses the anchor's
//     parent; callers pass whichever their chain defines).
//   - timeDiff: evalBlock.timestamp - anchor parent timestamp, may be negative.
//   - heightDiff: evalBlock.height - anchor.height, >= 0.
//   - spacing, halfLife: target block spacing and half-life in seconds.
//
// The target doubles for each halfLife the chain is behind schedule and
// halves for each halfLife ahead, clamped to [1, powLimit].
//
// Like the reference, which asserts these, it panics on caller bugs:
// spacing or halfLife <= 0, heightDiff < 0, powLimit zero or >= 2^239 (so
// refTarget*factor, factor < 2^17, stays within 256 bits; the reference's
// tighter 2^224 would rule out CPU-mineable test networks), or an anchor
// target that is negative, overflowing, zero or above powLimit. timeDiff is
// miner-influenced and any int64 value is handled without panicking.
func ASERTTarget(anchorBits uint32, timeDiff int64, heightDiff int64, spacing int64, halfLife int64, powLimit *uint256.Int) uint32 {
	if spacing <= 0 || halfLife <= 0 {
		panic("consensus: ASERT spacing and half-life must be positive")
	}
	if heightDiff < 0 {
		panic("consensus: ASERT heightDiff must not be negative")
	}
	if powLimit.IsZero() || powLimit.BitLen() > 239 {
		panic("consensus: ASERT powLimit must be in (0, 2^239)")
	}
	refTarget, negative, overflow := CompactToTarget(anchorBits)
	if negative || overflow || refTarget.IsZero() || refTarget.Gt(powLimit) {
		panic("consensus: ASERT anchor target must be in (0, powLimit]")
	}

	exponent := asertExponent(timeDiff, heightDiff, spacing, halfLife)

	// Split into whole halvings and a 16-bit fraction. >> on a signed int
	// is arithmetic (floor), so frac is always the non-negative remainder.
	shifts := exponent >> asertRadixBits
	frac := uint64(uint16(exponent))

	// 65536 * 2^(frac/65536) by the spec's cubic; error < 0.013%. The sum
	// peaks just under 2^64 at frac = 65535, so uint64 is exact.
	factor := 65536 + ((195766423245049*frac +
		971821376*frac*frac +
		5127*frac*frac*frac +
		1<<47) >> 48)

	// refTarget < 2^239 and factor < 2^17, so this cannot overflow.
	next := new(uint256.Int).Mul(refTarget, uint256.NewInt(factor))

	// Apply 2^shifts and remove the 2^16 carried by factor.
	shifts -= asertRadixBits
	if shifts <= 0 {
		if -shifts >= 256 {
			next.Clear()
		} else {
			next.Rsh(next, uint(-shifts))
		}
	} else {
		// Bits pushed past 2^256 mean the true value exceeds powLimit.
		if int64(next.BitLen())+shifts > 256 {
			return TargetToCompact(powLimit)
		}
		next.Lsh(next, uint(shifts))
	}

	if next.IsZero() {
		next.SetOne() // 0 is not a valid target, 1 is.
	} else if next.Gt(powLimit) {
		next.Set(powLimit)
	}
	return TargetToCompact(next)
}

// asertExponent returns the spec's fixed-point exponent
// trunc((timeDiff - spacing*(heightDiff+1)) * 2^16 / halfLife), saturated to
// +-asertMaxExponent. Go's / truncates toward zero like C++'s.
func asertExponent(timeDiff, heightDiff, spacing, halfLife int64) int64 {
	if timeDiff > -asertFastLimit && timeDiff < asertFastLimit &&
		heightDiff < asertFastLimit/spacing {
		// |delta| < 2^46, so delta * 2^16 < 2^62: the reference expression.
		delta := timeDiff - spacing*(heightDiff+1)
		e := delta * (1 << asertRadixBits) / halfLife
		return min(max(e, -asertMaxExponent), asertMaxExponent)
	}
	return asertExponentBig(timeDiff, heightDiff, spacing, halfLife)
}

// asertExponentBig is asertExponent for inputs whose intermediate values
// would overflow int64 (timestamps far off, or huge heightDiff). The
// reference asserts these away; we compute the same quantity exactly.
func asertExponentBig(timeDiff, heightDiff, spacing, halfLife int64) int64 {
	ideal := new(big.Int).SetInt64(heightDiff)
	ideal.Add(ideal, big.NewInt(1))
	ideal.Mul(ideal, big.NewInt(spacing))
	e := new(big.Int).SetInt64(timeDiff)
	e.Sub(e, ideal)
	e.Lsh(e, asertRadixBits)
	e.Quo(e, big.NewInt(halfLife)) // Quo truncates, as in C++.
	switch {
	case e.Cmp(big.NewInt(asertMaxExponent)) > 0:
		return asertMaxExponent
	case e.Cmp(big.NewInt(-asertMaxExponent)) < 0:
		return -asertMaxExponent
	}
	return e.Int64()
}
