package peers

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

	"github.com/google/renameio/v2"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// PeersFile is the peer file's name in the data dir; it keeps at most
// peersFileLimit peers.
const (
	PeersFile      = "peers.json"
	peersFileLimit = 256
)

// PeerRecord is one remembered peer in peers.json.
type PeerRecord struct {
	ID       string    `json:"id"`
	Addrs    []string  `json:"addrs"`
	LastSeen time.Time `json:"last_seen"`
}

// PeerFileV1 is the layout of peers.json.
type PeerFileV1 struct {
	Version int          `json:"version"`
	Peers   []PeerRecord `json:"peers"`
}

// Store remembers peers that completed a handshake, so a restarted node
// redials them. A missing or unreadable file only costs those peers.
type Store struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	recs  map[string]PeerRecord
	dirty bool
}

// NewStore keeps peers.json in dir ("" for none).
func NewStore(dir string, log *slog.Logger) *Store {
	s := &Store{log: log, recs: map[string]PeerRecord{}}
	if dir != "" {
		s.path = filepath.Join(dir, PeersFile)
	}
	return s
}

// Load reads the file and returns its peers, most recently seen first.
func (s *Store) Load() []peer.AddrInfo {
	if s.path == "" {
		return nil
	}
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var f PeerFileV1
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

// Remember records a peer that completed a handshake.
func (s *Store) Remember(p peer.ID, addrs []ma.Multiaddr) {
	if s.path == "" || len(addrs) == 0 {
		return
	}
	r := PeerRecord{ID: p.String(), LastSeen: time.Now().UTC()}
	for _, a := range addrs {
		r.Addrs = append(r.Addrs, a.String())
	}
	s.mu.Lock()
	s.recs[r.ID] = r
	s.dirty = true
	if len(s.recs) > 2*peersFileLimit {
		s.pruneLocked()
	}
	s.mu.Unlock()
}

// Save writes the file if anything changed, keeping the most recent peers.
func (s *Store) Save() error {
	s.mu.Lock()
	if s.path == "" || !s.dirty {
		s.mu.Unlock()
		return nil
	}
	f := PeerFileV1{Version: 1}
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
	return renameio.WriteFile(s.path, raw, 0o600)
}

// pruneLocked keeps the peersFileLimit most recently seen records, so the
// table stays bounded however many peers come and go.
func (s *Store) pruneLocked() {
	recs := make([]PeerRecord, 0, len(s.recs))
	for _, r := range s.recs {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].LastSeen.After(recs[j].LastSeen) })
	for _, r := range recs[peersFileLimit:] {
		delete(s.recs, r.ID)
	}
}

// Len is the number of peers remembered.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}
