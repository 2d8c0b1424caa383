package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cairn-chain/cairn/consensus"
)

// loadParams resolves --network and --genesis into network parameters.
func loadParams(network, genesisFile string) (*consensus.Params, error) {
	if genesisFile != "" {
		b, err := os.ReadFile(genesisFile)
		if err != nil {
			return nil, fmt.Errorf("read genesis file: %w", err)
		}
		spec, err := consensus.ParseGenesisSpec(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", genesisFile, err)
		}
		return consensus.CustomParams(spec)
	}
	return consensus.ParamsByName(network)
}

// defaultDataDir is ~/.cairn/<network>.
func defaultDataDir(network string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "."
	}
	return filepath.Join(home, ".cairn", network)
}
