//go:build !race

package consensus

// raceEnabled lets tests keep -race runs short: big batches only without it.
const raceEnabled = false
