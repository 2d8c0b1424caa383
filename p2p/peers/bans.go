package peers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/google/renameio/v2"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// MaxBans bounds the ban list so a flood of identities or addresses cannot
// grow it; the entry closest to expiry is dropped first.
const MaxBans = 4096

// BanInfo is one active ban, for RPC listbanned. Target is a peer ID, an IP
// address or a CIDR subnet.
type BanInfo struct {
	Target string
	Until  time.Time
	Reason string
}

type ban struct {
	until  time.Time
	reason string
}

// BanList holds bans by peer ID and by address (a single IP is a /32 or
// /128 prefix). It is safe for concurrent use and, given a path, persists
// to a JSON file so bans survive a restart.
type BanList struct {
	path string
	now  func() time.Time

	saveMu sync.Mutex // orders saves so an older snapshot never wins
	mu     sync.Mutex
	ids    map[peer.ID]ban
	nets   map[netip.Prefix]ban
	dirty  bool
}

// NewBanList returns an empty list saved to path ("" for memory only); now
// may be nil for time.Now.
func NewBanList(path string, now func() time.Time) *BanList {
	if now == nil {
		now = time.Now
	}
	return &BanList{path: path, now: now, ids: map[peer.ID]ban{}, nets: map[netip.Prefix]ban{}}
}

// ParseTarget reads a ban target: a peer ID, an IP address or a CIDR
// subnet. Exactly one of the results is set.
func ParseTarget(s string) (peer.ID, netip.Prefix, error) {
	if pfx, err := netip.ParsePrefix(s); err == nil {
		return "", pfx.Masked(), nil
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		ip = ip.Unmap()
		return "", netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	if id, err := peer.Decode(s); err == nil {
		return id, netip.Prefix{}, nil
	}
	return "", netip.Prefix{}, fmt.Errorf("p2p: %q is not a peer ID, an IP address or a CIDR subnet", s)
}

// BanPeer bans id until the given time, keeping the longer of two bans.
func (b *BanList) BanPeer(id peer.ID, until time.Time, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.ids[id]; ok && old.until.After(until) {
		return
	}
	b.makeRoomLocked()
	b.ids[id] = ban{until: until, reason: reason}
	b.dirty = true
}

// BanNet bans every address in pfx (a single IP as /32 or /128).
func (b *BanList) BanNet(pfx netip.Prefix, until time.Time, reason string) {
	pfx = netip.PrefixFrom(pfx.Addr().Unmap(), min(pfx.Bits(), pfx.Addr().Unmap().BitLen())).Masked()
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.nets[pfx]; ok && old.until.After(until) {
		return
	}
	b.makeRoomLocked()
	b.nets[pfx] = ban{until: until, reason: reason}
	b.dirty = true
}

// Unban lifts the ban on a target (as ParseTarget reads it).
func (b *BanList) Unban(target string) (bool, error) {
	id, pfx, err := ParseTarget(target)
	if err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var ok bool
	if id != "" {
		_, ok = b.ids[id]
		delete(b.ids, id)
	} else {
		_, ok = b.nets[pfx]
		delete(b.nets, pfx)
	}
	b.dirty = b.dirty || ok
	return ok, nil
}

// Clear lifts every ban.
func (b *BanList) Clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.ids)
	clear(b.nets)
	b.dirty = true
}

// makeRoomLocked drops expired bans, then the soonest to expire, when full.
func (b *BanList) makeRoomLocked() {
	if len(b.ids)+len(b.nets) < MaxBans {
		return
	}
	now := b.now()
	var soonestID peer.ID
	var soonestNet netip.Prefix
	var soonestAt time.Time
	for k, v := range b.ids {
		if !v.until.After(now) {
			delete(b.ids, k)
		} else if soonestAt.IsZero() || v.until.Before(soonestAt) {
			soonestID, soonestNet, soonestAt = k, netip.Prefix{}, v.until
		}
	}
	for k, v := range b.nets {
		if !v.until.After(now) {
			delete(b.nets, k)
		} else if soonestAt.IsZero() || v.until.Before(soonestAt) {
			soonestID, soonestNet, soonestAt = "", k, v.until
		}
	}
	if len(b.ids)+len(b.nets) >= MaxBans {
		if soonestID != "" {
			delete(b.ids, soonestID)
		} else {
			delete(b.nets, soonestNet)
		}
	}
}

// Peer returns id's active ban.
func (b *BanList) Peer(id peer.ID) (BanInfo, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.ids[id]
	if !ok || !v.until.After(b.now()) {
		return BanInfo{}, false
	}
	return BanInfo{Target: id.String(), Until: v.until, Reason: v.reason}, true
}

// Addr returns an active ban covering ip, if any.
func (b *BanList) Addr(ip netip.Addr) (BanInfo, bool) {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return BanInfo{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	// Most bans are single addresses: try the exact prefix first.
	if v, ok := b.nets[netip.PrefixFrom(ip, ip.BitLen())]; ok && v.until.After(now) {
		return BanInfo{Target: ip.String(), Until: v.until, Reason: v.reason}, true
	}
	for pfx, v := range b.nets {
		if pfx.Contains(ip) && v.until.After(now) {
			return BanInfo{Target: targetString(pfx), Until: v.until, Reason: v.reason}, true
		}
	}
	return BanInfo{}, false
}

// Multiaddr returns an active ban covering the IP of a, if a has one.
func (b *BanList) Multiaddr(a ma.Multiaddr) (BanInfo, bool) {
	if ip, ok := IPOf(a); ok {
		return b.Addr(ip)
	}
	return BanInfo{}, false
}

// IPOf extracts the IP address of a multiaddr (none for e.g. DNS names).
func IPOf(a ma.Multiaddr) (netip.Addr, bool) {
	if a == nil {
		return netip.Addr{}, false
	}
	nip, err := manet.ToIP(a)
	if err != nil {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(nip)
	return ip.Unmap(), ok
}

func targetString(pfx netip.Prefix) string {
	if pfx.Bits() == pfx.Addr().BitLen() {
		return pfx.Addr().String()
	}
	return pfx.String()
}

// List returns the active bans, soonest to expire first.
func (b *BanList) List() []BanInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.listLocked()
}

func (b *BanList) listLocked() []BanInfo {
	now := b.now()
	out := []BanInfo{}
	for id, v := range b.ids {
		if v.until.After(now) {
			out = append(out, BanInfo{Target: id.String(), Until: v.until, Reason: v.reason})
		}
	}
	for pfx, v := range b.nets {
		if v.until.After(now) {
			out = append(out, BanInfo{Target: targetString(pfx), Until: v.until, Reason: v.reason})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Until.Equal(out[j].Until) {
			return out[i].Until.Before(out[j].Until)
		}
		return out[i].Target < out[j].Target
	})
	return out
}

// Count is the number of active bans.
func (b *BanList) Count() int { return len(b.List()) }

type banRecord struct {
	Target string    `json:"target"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

type banFileV1 struct {
	Version int         `json:"version"`
	Bans    []banRecord `json:"bans"`
}

// Load reads the ban file, keeping bans that have not expired. A missing
// file is an empty list; an unreadable one is an error the caller may log
// and ignore.
func (b *BanList) Load() error {
	if b.path == "" {
		return nil
	}
	raw, err := os.ReadFile(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("p2p: read ban file: %w", err)
	}
	var f banFileV1
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("p2p: ban file %s: %w", b.path, err)
	}
	now := b.now()
	for _, r := range f.Bans {
		if !r.Until.After(now) {
			continue
		}
		id, pfx, err := ParseTarget(r.Target)
		if err != nil {
			continue
		}
		if id != "" {
			b.BanPeer(id, r.Until, r.Reason)
		} else {
			b.BanNet(pfx, r.Until, r.Reason)
		}
	}
	b.mu.Lock()
	b.dirty = false
	b.mu.Unlock()
	return nil
}

// Save writes the ban file if anything changed since the last save.
func (b *BanList) Save() error {
	b.saveMu.Lock()
	defer b.saveMu.Unlock()
	b.mu.Lock()
	if b.path == "" || !b.dirty {
		b.mu.Unlock()
		return nil
	}
	f := banFileV1{Version: 1, Bans: []banRecord{}}
	for _, bi := range b.listLocked() {
		f.Bans = append(f.Bans, banRecord(bi))
	}
	b.dirty = false
	b.mu.Unlock()
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(b.path, raw, 0o600); err != nil {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
		return fmt.Errorf("p2p: write ban file: %w", err)
	}
	return nil
}
