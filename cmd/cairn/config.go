package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-chain/cairn/cmd/cairn/internal/node"
	"github.com/spf13/pflag"
)

// applyConfigFile reads `key = value` lines (keys are flag names, '#'
// comments) and sets every flag the command line did not set. Unknown keys
// and bad values are errors naming the line, so a typo is never ignored.
func applyConfigFile(path string, flags *pflag.FlagSet, mustExist bool) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) && !mustExist {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		key, val, ok := strings.Cut(s, "=")
		if !ok {
			key, val = s, "true" // bare key: a boolean switch
		}
		key, val = strings.TrimSpace(key), strings.Trim(strings.TrimSpace(val), `"`)
		fl := flags.Lookup(key)
		if fl == nil || key == "config" {
			return unknownSetting(flags, path, line, key)
		}
		if fl.Changed {
			continue // the command line wins
		}
		// Value.Set, not flags.Set: its error is the value's own (what is
		// valid), without pflag's "invalid argument for flag" wrapping.
		if err := fl.Value.Set(val); err != nil {
			return fmt.Errorf("%s:%d: %s = %s: %v", path, line, key, val, err)
		}
		fl.Changed = true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Flag values that check themselves when set, so a bad value is refused
// where it was written (the command line, an environment variable, or the
// config file with its file:line) and the error lists what is valid.

// choiceValue is a string flag limited to a set of words.
type choiceValue struct {
	p       *string
	valid   []string
	aliases map[string]string // accepted, not listed
}

func newChoice(p *string, def string, valid ...string) *choiceValue {
	*p = def
	return &choiceValue{p: p, valid: valid}
}

func (v *choiceValue) Set(s string) error {
	if a, ok := v.aliases[strings.ToLower(s)]; ok {
		s = a
	}
	if !slices.Contains(v.valid, strings.ToLower(s)) {
		return fmt.Errorf("%q is not valid: want %s", s, strings.Join(v.valid, ", "))
	}
	*v.p = strings.ToLower(s)
	return nil
}
func (v *choiceValue) String() string { return *v.p }
func (v *choiceValue) Type() string   { return strings.Join(v.valid, "|") }

// intRangeValue is an int flag limited to [lo, hi].
type intRangeValue struct {
	p      *int
	lo, hi int
}

func newIntRange(p *int, def, lo, hi int) *intRangeValue {
	*p = def
	return &intRangeValue{p: p, lo: lo, hi: hi}
}

func (v *intRangeValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < v.lo || n > v.hi {
		return fmt.Errorf("%q is not valid: want a whole number from %d to %d", s, v.lo, v.hi)
	}
	*v.p = n
	return nil
}
func (v *intRangeValue) String() string { return strconv.Itoa(*v.p) }
func (v *intRangeValue) Type() string   { return "int" }

// fractionValue is a float flag in (0, 1].
type fractionValue struct{ p *float64 }

func newFraction(p *float64, def float64) *fractionValue {
	*p = def
	return &fractionValue{p: p}
}

func (v *fractionValue) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f > 0 && f <= 1) {
		return fmt.Errorf("%q is not valid: want a fraction above 0 and at most 1 (e.g. 0.25)", s)
	}
	*v.p = f
	return nil
}
func (v *fractionValue) String() string { return strconv.FormatFloat(*v.p, 'g', -1, 64) }
func (v *fractionValue) Type() string   { return "fraction" }

// sizeValue is a byte size (48MiB, 1GiB, or bytes); "" or "0" means unset.
type sizeValue struct{ p *int64 }

func (v *sizeValue) Set(s string) error {
	if s == "" || s == "0" {
		*v.p = 0
		return nil
	}
	n, err := node.ParseSize(s)
	if err != nil {
		return err
	}
	if n < 16<<20 {
		return fmt.Errorf("%q is too small: a node needs at least 16MiB", s)
	}
	*v.p = n
	return nil
}
func (v *sizeValue) String() string {
	if *v.p == 0 {
		return ""
	}
	return node.FormatSize(*v.p)
}
func (v *sizeValue) Type() string { return "size" }

// unknownSetting names a config key that is no flag, with the closest flag
// names if any.
func unknownSetting(flags *pflag.FlagSet, path string, line int, key string) error {
	var near []string
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && (strings.Contains(f.Name, key) || strings.Contains(key, f.Name) || editDistance(key, f.Name) <= 2) {
			near = append(near, f.Name)
		}
	})
	msg := fmt.Sprintf("%s:%d: unknown setting %q", path, line, key)
	if len(near) > 0 {
		msg += " (did you mean " + strings.Join(near, " or ") + "?)"
	}
	return errors.New(msg + "; settings are the flag names of `cairn node --help`")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
