package wallet

import (
	"math"
	"strings"
	"testing"
)

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		units uint64
		want  string
	}{
		{0, "0"},
		{1, "0.00000001"},
		{10, "0.0000001"},
		{150_000_000, "1.5"},
		{1_200_000_000, "12"},
		{123_456_789, "1.23456789"},
		{100_000_001, "1.00000001"},
		{math.MaxUint64, "184467440737.09551615"},
	} {
		if got := FormatAmount(tc.units); got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.units, got, tc.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  string // substring; "" means success
	}{
		{"0", 0, ""},
		{"12", 1_200_000_000, ""},
		{"1.5", 150_000_000, ""},
		{"0.00000001", 1, ""},
		{"1.23456789", 123_456_789, ""},
		{"007.10", 710_000_000, ""},
		{"184467440737.09551615", math.MaxUint64, ""},
		{"184467440737.09551616", 0, "larger than"},
		{"184467440738", 0, "larger than"},
		{"99999999999999999999999", 0, "larger than"},
		{"", 0, "empty"},
		{".", 0, "before the decimal point"},
		{".5", 0, "before the decimal point"},
		{"1.", 0, "after the decimal point"},
		{"1.2.3", 0, "only digits"},
		{"1e5", 0, "only digits"},
		{"-1", 0, "only digits"},
		{"+1", 0, "only digits"},
		{" 1", 0, "only digits"},
		{"1,5", 0, "only digits"},
		{"0x10", 0, "only digits"},
		{"1.000000001", 0, "more than 8 decimal places"},
		{"١", 0, "only digits"}, // non-ASCII digit
	} {
		got, err := ParseAmount(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseAmount(%q) error = %v, want it to mention %q", tc.in, err, tc.err)
		}
	}
}

func TestAmountRoundTrip(t *testing.T) {
	for _, u := range []uint64{0, 1, 9, 99_999_999, 100_000_000, 150_000_000, 123_456_789_012, math.MaxUint64 - 1, math.MaxUint64} {
		s := FormatAmount(u)
		got, err := ParseAmount(s)
		if err != nil || got != u {
			t.Errorf("ParseAmount(FormatAmount(%d) = %q) = %d, %v", u, s, got, err)
		}
	}
	for _, s := range []string{"0", "1.5", "0.00000001", "12", "21000000.12345678"} {
		u, err := ParseAmount(s)
		if err != nil || FormatAmount(u) != s {
			t.Errorf("FormatAmount(ParseAmount(%q)) = %q, %v", s, FormatAmount(u), err)
		}
	}
}

func TestDefaultKDF(t *testing.T) {
	k := KDFParams{}.withDefaults()
	if k != (KDFParams{N: 1 << 15, R: 8, P: 1}) || k.validate() != nil {
		t.Fatalf("defaults = %+v, validate = %v", k, k.validate())
	}
}
