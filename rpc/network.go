package rpc

import (
	"context"
	"time"
)

func (s *Server) networkMethods() []method {
	return []method{
		{name: "getpeerinfo", fn: s.getPeerInfo,
			summary: "Connected peers: [{id, addrs, direction, protocol, bestheight, score, bytesin, bytesout, connectedsince}]."},
		{name: "getconnectioncount", fn: s.getConnectionCount,
			summary: "Number of connected peers."},
		{name: "getnetworkinfo", fn: s.getNetworkInfo,
			summary: "Local peer id, listen addresses, protocol and connection count."},
		{name: "addnode", params: []string{"multiaddr"}, required: 1, fn: s.addNode, errs: []int{CodeP2PDisabled, CodeMisc},
			summary: "Connect to a peer by multiaddr, e.g. /ip4/1.2.3.4/tcp/9633/p2p/<peerid>."},
		{name: "disconnectnode", params: []string{"peerid"}, required: 1, fn: s.disconnectNode, errs: []int{CodeP2PDisabled, CodeNodeNotConnected},
			summary: "Disconnect a peer by id (code -29 if it is not connected)."},
		{name: "setban", params: []string{"peerid", "command", "bantime"}, required: 2, fn: s.setBan, errs: []int{CodeP2PDisabled, CodeInvalidParameter},
			summary: "Ban (command \"add\", for bantime seconds, default 86400) or unban (\"remove\") a peer id, an IP address or a CIDR subnet.",
			detail:  "peerid: a peer id (12D3Koo...), an IP (203.0.113.7) or a subnet (203.0.113.0/24). Bans persist across restarts. Bad command or target: code -8."},
		{name: "listbanned", fn: s.listBanned,
			summary: "Banned peers: [{id, banned_until, reason}]."},
		{name: "clearbanned", fn: s.clearBanned, errs: []int{CodeP2PDisabled},
			summary: "Lift every ban."},
	}
}

// maxBanSeconds bounds setban's bantime (one year).
const maxBanSeconds = 365 * 24 * 3600

func (s *Server) setBan(_ context.Context, a *args) (any, error) {
	id, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	cmd, err := a.str(1, "")
	if err != nil {
		return nil, err
	}
	secs, err := a.uint(2, 86400)
	if err != nil {
		return nil, err
	}
	if s.b.Network == nil {
		return nil, s.p2pDisabled()
	}
	switch cmd {
	case "add":
		if secs == 0 || secs > maxBanSeconds {
			return nil, newError(CodeInvalidParameter, "bantime must be between 1 and %d seconds", maxBanSeconds)
		}
		if err := s.b.Network.Ban(id, time.Duration(secs)*time.Second, "setban"); err != nil {
			return nil, newError(CodeInvalidParameter, "setban %s: %v", id, err)
		}
	case "remove":
		if err := s.b.Network.Unban(id); err != nil {
			return nil, newError(CodeInvalidParameter, "setban %s remove: %v", id, err)
		}
	default:
		return nil, newError(CodeInvalidParameter, "command must be \"add\" or \"remove\", not %q", cmd)
	}
	return nil, nil
}

type banJSON struct {
	ID          string `json:"id"`
	BannedUntil int64  `json:"banned_until"`
	Reason      string `json:"reason"`
}

func (s *Server) listBanned(context.Context, *args) (any, error) {
	out := []banJSON{}
	if s.b.Network == nil {
		return out, nil
	}
	for _, b := range s.b.Network.Banned() {
		out = append(out, banJSON{ID: b.ID, BannedUntil: b.Until.Unix(), Reason: b.Reason})
	}
	return out, nil
}

func (s *Server) clearBanned(context.Context, *args) (any, error) {
	if s.b.Network == nil {
		return nil, s.p2pDisabled()
	}
	s.b.Network.ClearBans()
	return nil, nil
}

type peerJSON struct {
	ID             string   `json:"id"`
	Addrs          []string `json:"addrs"`
	Direction      string   `json:"direction"`
	Protocol       string   `json:"protocol"`
	BestHeight     uint64   `json:"bestheight"`
	Score          float64  `json:"score"`
	BytesIn        uint64   `json:"bytesin"`
	BytesOut       uint64   `json:"bytesout"`
	ConnectedSince int64    `json:"connectedsince"`
}

func (s *Server) getPeerInfo(context.Context, *args) (any, error) {
	out := []peerJSON{}
	if s.b.Network == nil {
		return out, nil
	}
	for _, p := range s.b.Network.Peers() {
		addrs := p.Addrs
		if addrs == nil {
			addrs = []string{}
		}
		out = append(out, peerJSON{
			ID: p.ID, Addrs: addrs, Direction: p.Direction, Protocol: p.Protocol, BestHeight: p.BestHeight,
			Score: p.Score, BytesIn: p.BytesIn, BytesOut: p.BytesOut, ConnectedSince: p.ConnectedSince.Unix(),
		})
	}
	return out, nil
}

func (s *Server) getConnectionCount(context.Context, *args) (any, error) {
	if s.b.Network == nil {
		return 0, nil
	}
	return s.b.Network.ConnectionCount(), nil
}

type networkInfoJSON struct {
	NetworkActive bool     `json:"networkactive"`
	PeerID        string   `json:"peerid"`
	ListenAddrs   []string `json:"listenaddrs"`
	Protocol      string   `json:"protocol"`
	Connections   int      `json:"connections"`
}

func (s *Server) getNetworkInfo(context.Context, *args) (any, error) {
	out := networkInfoJSON{ListenAddrs: []string{}}
	if s.b.Network == nil {
		return out, nil
	}
	info := s.b.Network.Info()
	out.NetworkActive, out.PeerID, out.Protocol = true, info.PeerID, info.Protocol
	out.Connections = s.b.Network.ConnectionCount()
	if info.ListenAddrs != nil {
		out.ListenAddrs = info.ListenAddrs
	}
	return out, nil
}

func (s *Server) p2pDisabled() *Error {
	return newError(CodeP2PDisabled, "peer-to-peer networking is disabled on this node")
}

func (s *Server) addNode(ctx context.Context, a *args) (any, error) {
	addr, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	if s.b.Network == nil {
		return nil, s.p2pDisabled()
	}
	if err := s.b.Network.AddNode(ctx, addr); err != nil {
		return nil, newError(CodeMisc, "addnode %s: %v", addr, err)
	}
	return nil, nil
}

func (s *Server) disconnectNode(_ context.Context, a *args) (any, error) {
	id, err := a.str(0, "")
	if err != nil {
		return nil, err
	}
	if s.b.Network == nil {
		return nil, s.p2pDisabled()
	}
	if err := s.b.Network.DisconnectNode(id); err != nil {
		return nil, newError(CodeNodeNotConnected, "disconnectnode %s: %v", id, err)
	}
	return nil, nil
}
