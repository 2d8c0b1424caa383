//go:build !unix

package mempool

import "time"

// processCPU is not measured on this platform; benchmarks report wall time.
func processCPU() (time.Duration, bool) { return 0, false }
