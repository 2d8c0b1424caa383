//go:build !unix

package chain_test

import "time"

// processCPU is not measured on this platform; benchmarks report wall time.
func processCPU() (time.Duration, bool) { return 0, false }
