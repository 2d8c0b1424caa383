package p2p

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/chain/chaintest"
	"github.com/cairn-chain/cairn/p2p/peers"
)

// The identity key survives a restart (same peer ID, file mode 0600) and
// the peer file makes the restarted node redial the peer it knew.
func TestIdentityAndPeerFilePersist(t *testing.T) {
	p := chaintest.MustNew(chaintest.Options{Name: "p2ppersist", Keys: 1}).Params
	b := newNode(t, p, "b", "")
	dir := t.TempDir()
	a := newNode(t, p, "a", dir)
	connect(t, a, b)
	id := a.node.ID()
	a.stop(t)

	fi, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity key mode %v, want 0600", fi.Mode().Perm())
	}
	raw, err := os.ReadFile(filepath.Join(dir, peers.PeersFile))
	if err != nil {
		t.Fatal(err)
	}
	var f peers.PeerFileV1
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Peers) != 1 || f.Peers[0].ID != b.node.ID() {
		t.Fatalf("peer file %s, want b", raw)
	}

	a2 := newNode(t, p, "a2", dir)
	if a2.node.ID() != id {
		t.Fatalf("peer id changed across restart: %s -> %s", id, a2.node.ID())
	}
	waitFor(t, 15*time.Second, "restarted node redials b", func() bool { return a2.ready(b) && b.ready(a2) })
}
