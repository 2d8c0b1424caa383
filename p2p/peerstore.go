package p2p

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

const (
	peersFile      = "peers.json"
	peersFileLimit = 256
	storeSaveEvery = 30 * time.Second
)

// peerRecord is one remembered peer in peers.json.
type peerRecord struct {
	ID       string    `json:"id"`
	Addrs    []string  `json:"addrs"`
	LastSeen time.Time `json:"last_seen"`
}

type peerFileV1 struct {
	Version int          `json:"version"`
	Peers   []peerRecord `json:"peers"`
}

// peerStore remembers peers that completed a handshake, so a restarted node
// redials them. A missing or unreadable file only costs those peers.
type peerStore struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	recs  map[string]peerRecord
	dirty bool
}

func newPeerStore(dir string, log *slog.Logger) *peerStore {
	s := &peerStore{log: log, recs: map[string]peerRecord{}}
	if dir != "" {
		s.path = filepath.Join(dir, peersFile)
	}
	return s
}

// load reads the file and returns its peers, most recently seen first.
func (s *peerStore) load() []peer.AddrInfo {
	if s.path == "" {
		return nil
	}
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var f peerFileV1
	if err == nil {
		err = json.Unmarshal(raw, &f)
	}
	if err != nil {
		s.log.Warn("ignoring unreadable peer file", "path", s.path, "err", err)
		return nil
	}
	sort.Slice(f.Peers, func(i, j int) bool { return f.Peers[i].LastSeen.After(f.Peers[j].LastSeen) })
	var out []peer.AddrInfo
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range f.Peers {
		id, err := peer.Decode(r.ID)
		if err != nil {
			continue
		}
		ai := peer.AddrInfo{ID: id}
		for _, a := range r.Addrs {
			if m, err := ma.NewMultiaddr(a); err == nil {
				ai.Addrs = append(ai.Addrs, m)
			}
		}
		if len(ai.Addrs) == 0 {
			continue
		}
		s.recs[r.ID] = r
		out = append(out, ai)
	}
	return out
}

// remember records a peer that completed a handshake.
func (s *peerStore) remember(p peer.ID, addrs []ma.Multiaddr) {
	if s.path == "" || len(addrs) == 0 {
		return
	}
	r := peerRecord{ID: p.String(), LastSeen: time.Now().UTC()}
	for _, a := range addrs {
		r.Addrs = append(r.Addrs, a.String())
	}
	s.mu.Lock()
	s.recs[r.ID] = r
	s.dirty = true
	s.mu.Unlock()
}

// save writes the file if anything changed, keeping the most recent peers.
func (s *peerStore) save() error {
	s.mu.Lock()
	if s.path == "" || !s.dirty {
		s.mu.Unlock()
		return nil
	}
	f := peerFileV1{Version: 1}
	for _, r := range s.recs {
		f.Peers = append(f.Peers, r)
	}
	s.dirty = false
	s.mu.Unlock()
	sort.Slice(f.Peers, func(i, j int) bool { return f.Peers[i].LastSeen.After(f.Peers[j].LastSeen) })
	if len(f.Peers) > peersFileLimit {
		f.Peers = f.Peers[:peersFileLimit]
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, raw, 0o600)
}

// storeLoop refreshes connected peers' addresses (identify may have added
// their listen addresses since the handshake) and saves periodically.
func (n *Node) storeLoop() {
	tick := time.NewTicker(storeSaveEvery)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
			for _, sp := range n.peers.ready() {
				n.store.remember(sp.id, n.host.Peerstore().Addrs(sp.id))
			}
			if err := n.store.save(); err != nil {
				n.log.Warn("save peer file", "err", err)
			}
		}
	}
}
