package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

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
			return fmt.Errorf("%s:%d: unknown setting %q", path, line, key)
		}
		if fl.Changed {
			continue // the command line wins
		}
		if err := flags.Set(key, val); err != nil {
			return fmt.Errorf("%s:%d: %s: %v", path, line, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}
