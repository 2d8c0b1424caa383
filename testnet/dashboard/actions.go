package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-chain/cairn/testnet"
)

// action is a button press: the same verbs as `cairn testnet ...`.
type action struct {
	Verb     string  `json:"verb"`     // kill, stop, start, partition, heal, load, delay
	Node     string  `json:"node"`     // kill, stop, start, delay ("all" for every node)
	Groups   string  `json:"groups"`   // partition: "1,2 3,4"
	TPS      float64 `json:"tps"`      // load
	Duration string  `json:"duration"` // load, e.g. "30s"
	Latency  string  `json:"latency"`  // delay, e.g. "100ms"
}

const maxActionBody = 4 << 10

func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) {
	var a action
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxActionBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad action: " + err.Error()})
		return
	}
	start := time.Now()
	err := s.do(r.Context(), a)
	entry := actionLog{At: start, What: describe(a), Took: float64(time.Since(start).Milliseconds())}
	if err != nil {
		entry.Error = err.Error()
	}
	s.mu.Lock()
	s.actions = append(s.actions, entry)
	if len(s.actions) > 20 {
		s.actions = s.actions[len(s.actions)-20:]
	}
	s.mu.Unlock()
	if err != nil {
		var bad badAction
		code := http.StatusInternalServerError
		if errors.As(err, &bad) {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"ok": entry.What})
}

// badAction is an action the user got wrong (400, not 500).
type badAction struct{ msg string }

func (e badAction) Error() string { return e.msg }

func describe(a action) string {
	switch a.Verb {
	case "partition":
		return "partition " + a.Groups
	case "load":
		return fmt.Sprintf("load %g tx/s for %s", a.TPS, a.Duration)
	case "delay":
		return fmt.Sprintf("delay %s %s", a.Node, a.Latency)
	case "heal":
		return "heal"
	}
	return a.Verb + " " + a.Node
}

// do runs one verb on a freshly read network (the CLI may have changed
// testnet.json since), through the testnet functions the CLI uses.
func (s *Server) do(ctx context.Context, a action) error {
	s.actionMu.Lock()
	defer s.actionMu.Unlock()
	n, err := testnet.Open(s.cfg.Dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	node := func() (int, error) {
		i, err := n.Node(a.Node)
		if err != nil {
			return 0, badAction{err.Error()}
		}
		return i, nil
	}
	switch a.Verb {
	case "kill", "stop", "start":
		i, err := node()
		if err != nil {
			return err
		}
		switch a.Verb {
		case "kill":
			return n.Kill(i)
		case "stop":
			return n.Stop(i)
		}
		return n.StartNode(ctx, i)
	case "partition":
		groups, err := n.ParseGroups(strings.Fields(a.Groups))
		if err != nil || len(groups) < 2 {
			return badAction{fmt.Sprintf("partition %q: want at least two groups such as \"1,2 3,4\" (%v)", a.Groups, err)}
		}
		return n.Partition(ctx, groups)
	case "heal":
		return n.Heal(ctx)
	case "delay":
		if !n.Conditioned() {
			return badAction{"this testnet runs without network conditions (start it with `cairn testnet up --latency 0ms`)"}
		}
		d, err := time.ParseDuration(a.Latency)
		if a.Latency == "0" {
			d, err = 0, nil
		}
		if err != nil {
			return badAction{fmt.Sprintf("latency %q: %v", a.Latency, err)}
		}
		var nodes []int
		if a.Node != "all" {
			i, err := node()
			if err != nil {
				return err
			}
			nodes = []int{i}
		}
		return n.SetConditions(ctx, nodes, func(c *testnet.Conditions) { c.Latency, c.Jitter = d, min(c.Jitter, d) })
	case "load":
		return s.startLoad(n, a)
	}
	return badAction{fmt.Sprintf("unknown verb %q", a.Verb)}
}

// startLoad runs testnet's load generator in the background; the charts
// follow it through the nodes' own notifications.
func (s *Server) startLoad(n *testnet.Network, a action) error {
	d, err := time.ParseDuration(a.Duration)
	if err != nil {
		return badAction{fmt.Sprintf("duration %q: %v", a.Duration, err)}
	}
	o := testnet.LoadOptions{TPS: a.TPS, Duration: d}
	if o.TPS <= 0 || o.TPS > 10000 || d <= 0 || d > time.Hour {
		return badAction{"load: tps must be in (0, 10000] and duration in (0, 1h]"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.load.Running {
		return badAction{"a load run is already going"}
	}
	s.load = loadState{Running: true, TPS: a.TPS, Started: time.Now()}
	go func() {
		rep, err := n.Load(s.ctx, o)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.load.Running, s.load.Report = false, rep
		if err != nil {
			s.load.Error = err.Error()
		}
	}()
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
