//go:build !linux

package p2p

import (
	"testing"

	"github.com/cairn-chain/cairn/consensus"
)

func benchSyncProcess(b *testing.B, _ string, _ consensus.Hash, _, _ int) {
	b.Log("sync child process: Linux only")
}
