package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-chain/cairn/consensus"
)

// args are a call's parameters in the method's positional order, whether
// they were sent as an array or as an object. Absent and null are the same.
type args struct {
	m    *method
	vals []json.RawMessage // len(m.params); nil when absent
	hrp  string
}

// bindParams maps raw params (nil, array or object) onto m's parameter list
// and checks that the required ones are there.
func bindParams(m *method, raw json.RawMessage, hrp string) (*args, *Error) {
	a := &args{m: m, vals: make([]json.RawMessage, len(m.params)), hrp: hrp}
	switch kind(raw) {
	case 0:
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, invalidParams("%v", err)
		}
		if len(list) > len(m.params) {
			return nil, invalidParams("%s takes at most %d params (%s), got %d", m.name, len(m.params), m.paramList(), len(list))
		}
		copy(a.vals, list)
	case '{':
		var named map[string]json.RawMessage
		if err := json.Unmarshal(raw, &named); err != nil {
			return nil, invalidParams("%v", err)
		}
		keys := make([]string, 0, len(named))
		for k := range named {
			keys = append(keys, k)
		}
		sort.Strings(keys) // report the same unknown name every time
		for _, k := range keys {
			i := m.paramIndex(k)
			if i < 0 {
				return nil, invalidParams("%s has no param %q (params: %s)", m.name, k, m.paramList())
			}
			a.vals[i] = named[k]
		}
	default:
		return nil, invalidParams("params must be an array or an object")
	}
	for i := range a.vals {
		if kind(a.vals[i]) == 'n' {
			a.vals[i] = nil
		}
	}
	for i := 0; i < m.required; i++ {
		if a.vals[i] == nil {
			return nil, invalidParams("missing required param %q (usage: %s)", m.params[i], m.usage())
		}
	}
	return a, nil
}

func (a *args) has(i int) bool { return a.vals[i] != nil }

func (a *args) name(i int) string { return a.m.params[i] }

// str returns param i as a string, or def when absent.
func (a *args) str(i int, def string) (string, error) {
	if !a.has(i) {
		return def, nil
	}
	var s string
	if kind(a.vals[i]) != '"' || json.Unmarshal(a.vals[i], &s) != nil {
		return "", invalidParams("%s must be a string", a.name(i))
	}
	return s, nil
}

// uint returns param i as a non-negative integer, or def when absent. Only
// plain integer syntax is accepted: 1e3 and 1.0 are refused, not rounded.
func (a *args) uint(i int, def uint64) (uint64, error) {
	if !a.has(i) {
		return def, nil
	}
	raw := string(trimSpace(a.vals[i]))
	switch {
	case kind(a.vals[i]) != '0':
		return 0, invalidParams("%s must be a number", a.name(i))
	case strings.HasPrefix(raw, "-"):
		return 0, invalidParams("%s must not be negative", a.name(i))
	case strings.ContainsAny(raw, ".eE"):
		return 0, invalidParams("%s must be an integer", a.name(i))
	}
	v, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, invalidParams("%s is out of range", a.name(i))
	}
	return v, nil
}

// hash returns param i as a 64-hex-character hash.
func (a *args) hash(i int) (consensus.Hash, error) {
	s, err := a.str(i, "")
	if err != nil {
		return consensus.Hash{}, err
	}
	h, perr := consensus.ParseHash(s)
	if perr != nil {
		return h, invalidParams("%s: %v", a.name(i), perr)
	}
	return h, nil
}

// rawData returns param i, the hex of a raw tx or block, decoded. Its
// length is checked against maxBytes before anything is decoded (tooLong
// builds that error), and it is decoded straight from the request's bytes
// rather than through a string copy. A string that is not hex does not
// decode: CodeDecode, as bitcoind has it; a non-string is CodeInvalidParams.
func (a *args) rawData(i int, what string, maxBytes int, tooLong func(n int) *Error) ([]byte, error) {
	v := trimSpace(a.vals[i])
	if kind(v) != '"' {
		return nil, invalidParams("%s must be a string", a.name(i))
	}
	digits := v[1 : len(v)-1]
	if bytes.IndexByte(digits, '\\') >= 0 {
		// Hex needs no escapes, but \u0030 is a valid way to write "0".
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, invalidParams("%s must be a string", a.name(i))
		}
		digits = []byte(s)
	}
	if len(digits) > 2*maxBytes {
		return nil, tooLong((len(digits) + 1) / 2)
	}
	if len(digits)%2 != 0 {
		return nil, notDecoded(what, consensus.ErrDecode.String(), fmt.Sprintf("%s is odd-length hex (%d characters)", a.name(i), len(digits)))
	}
	out := make([]byte, len(digits)/2)
	if _, err := hex.Decode(out, digits); err != nil {
		return nil, notDecoded(what, consensus.ErrDecode.String(), fmt.Sprintf("%s is not hex: %v", a.name(i), err))
	}
	return out, nil
}

// address returns param i as an address of this network; the decoder's
// message says what is wrong (typo, other network).
func (a *args) address(i int) (consensus.Address, error) {
	s, err := a.str(i, "")
	if err != nil {
		return consensus.Address{}, err
	}
	addr, derr := consensus.DecodeAddress(s, a.hrp)
	if derr != nil {
		return addr, invalidParams("%s: %v", a.name(i), derr)
	}
	return addr, nil
}
