package netproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/cairn-chain/cairn/testnet"
	"github.com/google/renameio/v2"
	"github.com/rs/zerolog"
)

// pollInterval is how often the conditions and state files are checked.
const pollInterval = 100 * time.Millisecond

// toxicSpec is one toxic as toxiproxy's JSON API describes it.
type toxicSpec struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// toxicsFor translates a node's conditions into toxiproxy toxics, the same on
// both directions, in the order data crosses them.
func toxicsFor(c testnet.Conditions) []toxicSpec {
	var out []toxicSpec
	for _, stream := range []string{"upstream", "downstream"} {
		if c.Latency > 0 || c.Jitter > 0 {
			out = append(out, toxicSpec{Name: "latency_" + stream, Type: "latency", Stream: stream, Toxicity: 1,
				Attributes: map[string]any{"latency": c.Latency.Milliseconds(), "jitter": c.Jitter.Milliseconds()}})
		}
		if c.Loss > 0 {
			out = append(out, toxicSpec{Name: "loss_" + stream, Type: lossToxicType, Stream: stream, Toxicity: 1,
				Attributes: map[string]any{"loss": c.Loss, "rto_ms": rto(c.Latency).Milliseconds()}})
		}
		if c.Bandwidth > 0 {
			// toxiproxy's rate is in KB/s (1000 bytes).
			out = append(out, toxicSpec{Name: "bandwidth_" + stream, Type: "bandwidth", Stream: stream, Toxicity: 1,
				Attributes: map[string]any{"rate": max(1, c.Bandwidth/8000)}})
		}
	}
	return out
}

type nodeProxy struct {
	p       *toxiproxy.Proxy
	applied []toxicSpec
}

// Run serves the proxies of the testnet in dir until ctx ends or the
// testnet is destroyed.
func Run(ctx context.Context, dir string, log *slog.Logger) error {
	// toxiproxy logs through zerolog, some of it through the global logger
	// at trace level; only its warnings are worth a line here.
	zerolog.SetGlobalLevel(zerolog.WarnLevel)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.New(os.Stderr))
	proxies := map[string]*nodeProxy{}
	defer func() {
		for _, np := range proxies {
			np.p.Stop()
		}
	}()
	var stateMod, condMod time.Time
	var gen uint64
	for {
		stateFi, err := os.Stat(filepath.Join(dir, testnet.StateFile))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				log.Info("testnet destroyed; proxy exits")
				return nil
			}
			return err
		}
		if !stateFi.ModTime().Equal(stateMod) {
			n, err := testnet.Open(dir)
			if err != nil {
				return err
			}
			if err := syncProxies(server, proxies, n, log); err != nil {
				writeStatus(dir, gen, err)
				return err
			}
			stateMod = stateFi.ModTime()
		}
		if condFi, err := os.Stat(filepath.Join(dir, testnet.ConditionsFile)); err == nil && !condFi.ModTime().Equal(condMod) {
			n := &testnet.Network{Dir: dir}
			st, err := n.ReadConditions()
			if err == nil {
				err = applyConditions(proxies, st)
			}
			if err != nil {
				log.Error("apply conditions", "err", err)
			} else {
				gen = st.Generation
				condMod = condFi.ModTime()
				log.Info("conditions applied", "generation", gen)
			}
			writeStatus(dir, gen, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pollInterval):
		}
	}
}

// syncProxies creates a proxy per node and follows a node moved to new
// ports by `start` (its upstream changes; its proxied address does not).
func syncProxies(server *toxiproxy.ApiServer, proxies map[string]*nodeProxy, n *testnet.Network, log *slog.Logger) error {
	for _, ns := range n.State.Nodes {
		if ns.ProxyPort == 0 {
			continue
		}
		listen := fmt.Sprintf("127.0.0.1:%d", ns.ProxyPort)
		upstream := fmt.Sprintf("127.0.0.1:%d", ns.P2PPort)
		if np := proxies[ns.Name]; np != nil {
			if np.p.Upstream != upstream {
				if err := np.p.Update(&toxiproxy.Proxy{Listen: listen, Upstream: upstream, Enabled: true}); err != nil {
					return fmt.Errorf("%s: move proxy upstream to %s: %w", ns.Name, upstream, err)
				}
				log.Info("proxy upstream moved", "node", ns.Name, "upstream", upstream)
			}
			continue
		}
		p := toxiproxy.NewProxy(server, ns.Name, listen, upstream)
		if err := server.Collection.Add(p, true); err != nil {
			return fmt.Errorf("%s: proxy on %s: %w", ns.Name, listen, err)
		}
		proxies[ns.Name] = &nodeProxy{p: p}
		log.Info("proxy started", "node", ns.Name, "listen", listen, "upstream", upstream)
	}
	return nil
}

// applyConditions reconciles each proxy's toxics with its conditions:
// changed values are updated in place (open connections keep flowing);
// a different set of toxics is rebuilt.
func applyConditions(proxies map[string]*nodeProxy, st *testnet.ConditionsState) error {
	var errs []error
	for name, np := range proxies {
		want := toxicsFor(st.Nodes[name])
		if reflect.DeepEqual(want, np.applied) {
			continue
		}
		sameSet := len(want) == len(np.applied)
		for k := 0; sameSet && k < len(want); k++ {
			sameSet = want[k].Name == np.applied[k].Name
		}
		var err error
		if sameSet {
			for _, t := range want {
				b, _ := json.Marshal(map[string]any{"attributes": t.Attributes, "toxicity": t.Toxicity})
				if _, err = np.p.Toxics.UpdateToxicJson(t.Name, bytes.NewReader(b)); err != nil {
					break
				}
			}
		} else {
			np.p.Toxics.ResetToxics(context.Background())
			for _, t := range want {
				b, _ := json.Marshal(t)
				if _, err = np.p.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
					break
				}
			}
		}
		if err != nil {
			np.applied = nil // rebuild next time
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		np.applied = want
	}
	return errors.Join(errs...)
}

func writeStatus(dir string, gen uint64, err error) {
	st := testnet.ProxyStatus{PID: os.Getpid(), Generation: gen}
	if err != nil {
		st.Error = err.Error()
	}
	b, _ := json.Marshal(st)
	_ = renameio.WriteFile(filepath.Join(dir, testnet.ProxyStatusFile), b, 0o600)
}
