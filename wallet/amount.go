package wallet

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cairn-chain/cairn/consensus"
)

// amountDecimals is log10(consensus.Coin): the finest unit is 0.00000001.
const amountDecimals = 8

// Unit is the name shown after an amount of coins in text a person reads.
const Unit = "CAIRN"

// FormatCoins is FormatAmount with the unit: 150000000 -> "1.5 CAIRN".
func FormatCoins(units uint64) string { return FormatAmount(units) + " " + Unit }

// FormatAmount renders base units as decimal coins without trailing zeros:
// 150000000 -> "1.5", 1 -> "0.00000001", 1200000000 -> "12".
func FormatAmount(units uint64) string {
	whole, frac := units/consensus.Coin, units%consensus.Coin
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	f := strings.TrimRight(fmt.Sprintf("%0*d", amountDecimals, frac), "0")
	return strconv.FormatUint(whole, 10) + "." + f
}

// ParseAmount parses decimal coins ("1.5", "0.00000001", "12") into base
// units. Only ASCII digits and one decimal point with digits on both sides
// are accepted: no sign, exponent, spaces or more than 8 decimals.
func ParseAmount(s string) (uint64, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid amount %q: %s (write coins as a decimal such as 1.5 or 0.00000001)", s, why)
	}
	if s == "" {
		return 0, bad("empty")
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(fracPart)) {
		switch {
		case intPart == "":
			return 0, bad("missing digits before the decimal point")
		case hasDot && fracPart == "":
			return 0, bad("missing digits after the decimal point")
		}
		return 0, bad("only digits and one decimal point are allowed")
	}
	if len(fracPart) > amountDecimals {
		return 0, bad("more than 8 decimal places (the smallest unit is 0.00000001)")
	}
	tooBig := bad(fmt.Sprintf("larger than the maximum %s", FormatAmount(math.MaxUint64)))
	whole, err := strconv.ParseUint(intPart, 10, 64)
	if err != nil || whole > math.MaxUint64/consensus.Coin {
		return 0, tooBig
	}
	var frac uint64
	if fracPart != "" {
		padded := fracPart + strings.Repeat("0", amountDecimals-len(fracPart))
		if frac, err = strconv.ParseUint(padded, 10, 64); err != nil {
			return 0, bad("only digits and one decimal point are allowed")
		}
	}
	total := whole * consensus.Coin
	if total+frac < total {
		return 0, tooBig
	}
	return total + frac, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
