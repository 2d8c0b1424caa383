package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/wallet"
)

// print writes v as indented JSON under --json, otherwise runs human.
func (cf *clientFlags) print(v any, human func()) error {
	if cf.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	human()
	return nil
}

// coins formats a base-unit amount from decoded JSON as decimal coins.
func coins(v any) string {
	switch x := v.(type) {
	case float64:
		if x < 0 {
			return "-" + wallet.FormatAmount(uint64(-x))
		}
		return wallet.FormatAmount(uint64(x))
	case json.Number:
		var u uint64
		if _, err := fmt.Sscan(x.String(), &u); err == nil {
			return wallet.FormatAmount(u)
		}
		return x.String()
	case nil:
		return "-"
	}
	return fmt.Sprint(v)
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// checkAddress validates an address locally so a typo is reported before
// anything is unlocked or sent.
func checkAddress(s, hrp string) error {
	_, err := consensus.DecodeAddress(s, hrp)
	return err
}
