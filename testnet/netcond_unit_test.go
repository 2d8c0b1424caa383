package testnet

import (
	"testing"
	"time"
)

func TestParseConditions(t *testing.T) {
	for in, want := range map[string]float64{"1%": 0.01, "0.5%": 0.005, "0": 0, "0.02": 0.02} {
		if got, err := ParseLoss(in); err != nil || got != want {
			t.Errorf("ParseLoss(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"100%", "-1%", "x", "1.5"} {
		if _, err := ParseLoss(bad); err == nil {
			t.Errorf("ParseLoss(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int64{"20mbit": 20e6, "512kbit": 512e3, "1gbit": 1e9, "off": 0, "0": 0, "8kbit": 8000, "1.5mbit": 1.5e6} {
		if got, err := ParseBandwidth(in); err != nil || got != want {
			t.Errorf("ParseBandwidth(%q) = %v, %v; want %v", in, got, err, want)
		}
		if want != 0 && want != 1.5e6 && FormatBandwidth(want) != in {
			t.Errorf("FormatBandwidth(%d) = %q, want %q", want, FormatBandwidth(want), in)
		}
	}
	for _, bad := range []string{"20mb", "fast", "-1mbit"} {
		if _, err := ParseBandwidth(bad); err == nil {
			t.Errorf("ParseBandwidth(%q) accepted", bad)
		}
	}
	for _, c := range []Conditions{{Latency: -1}, {Latency: time.Millisecond, Jitter: time.Second}, {Loss: 1}, {Bandwidth: 100}} {
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
	}
	if err := (Conditions{Latency: 80 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.01, Bandwidth: 20e6}).Validate(); err != nil {
		t.Error(err)
	}
}
