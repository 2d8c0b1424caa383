package node

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/p2p"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the node's Prometheus registry. Packages stay free of
// Prometheus: chain and rpc report through small hooks, and the rest is read
// from their Stats at scrape time.
type metrics struct {
	reg          *prometheus.Registry
	blocks       *prometheus.CounterVec
	blockSeconds prometheus.Histogram
	reorgs       prometheus.Counter
	reorgDepth   prometheus.Histogram
	rpcCalls     *prometheus.CounterVec
	rpcSeconds   *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_blocks_processed_total", Help: "Blocks through ProcessBlock by result: main, side, orphan, duplicate, or the rejecting rule.",
		}, []string{"result"}),
		blockSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cairn_block_validation_seconds", Help: "ProcessBlock time per block (checks, signatures, state, commit).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		reorgs: prometheus.NewCounter(prometheus.CounterOpts{Name: "cairn_reorgs_total", Help: "Chain reorganisations."}),
		reorgDepth: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cairn_reorg_depth_blocks", Help: "Blocks disconnected per reorganisation.", Buckets: []float64{1, 2, 3, 5, 10, 20, 50, 100},
		}),
		rpcCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_rpc_requests_total", Help: "JSON-RPC calls by method and error code (0 = success).",
		}, []string{"method", "code"}),
		rpcSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cairn_rpc_request_seconds", Help: "JSON-RPC call duration.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"method"}),
	}
	m.reg.MustRegister(m.blocks, m.blockSeconds, m.reorgs, m.reorgDepth, m.rpcCalls, m.rpcSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// BlockProcessed implements chain.Observer.
func (m *metrics) BlockProcessed(result string, d time.Duration) {
	m.blocks.WithLabelValues(result).Inc()
	m.blockSeconds.Observe(d.Seconds())
}

// Reorg implements chain.Observer.
func (m *metrics) Reorg(depth uint64) {
	m.reorgs.Inc()
	m.reorgDepth.Observe(float64(depth))
}

func (m *metrics) rpcObserve(method string, code int, d time.Duration) {
	m.rpcCalls.WithLabelValues(method, strconv.Itoa(code)).Inc()
	m.rpcSeconds.WithLabelValues(method).Observe(d.Seconds())
}

func (m *metrics) gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// watchChain adds gauges read from the chain at scrape time.
func (m *metrics) watchChain(ch *chain.Chain) {
	m.gauge("cairn_chain_height", "Height of the best chain.", func() float64 { return float64(ch.Height()) })
	m.gauge("cairn_chain_orphans", "Blocks waiting for their parent.", func() float64 { return float64(ch.OrphanCount()) })
}

// watchMempool exports the pool's sizes and its counters by outcome.
func (m *metrics) watchMempool(p *mempool.Pool) {
	m.reg.MustRegister(&mempoolCollector{p: p})
}

type mempoolCollector struct{ p *mempool.Pool }

var (
	mpTxs    = prometheus.NewDesc("cairn_mempool_txs", "Transactions in the mempool.", nil, nil)
	mpBytes  = prometheus.NewDesc("cairn_mempool_bytes", "Encoded bytes in the mempool.", nil, nil)
	mpEvents = prometheus.NewDesc("cairn_mempool_txs_total", "Mempool transaction outcomes: accepted, rejected by reason, evicted, expired, included, ...", []string{"result"}, nil)
)

func (c *mempoolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- mpTxs
	ch <- mpBytes
	ch <- mpEvents
}

func (c *mempoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.p.Stats()
	ch <- prometheus.MustNewConstMetric(mpTxs, prometheus.GaugeValue, float64(s.Count))
	ch <- prometheus.MustNewConstMetric(mpBytes, prometheus.GaugeValue, float64(s.Bytes))
	for label, v := range map[string]uint64{"accepted": s.Accepted, "replaced": s.Replaced, "evicted": s.Evicted,
		"expired": s.Expired, "included": s.Included, "invalidated": s.Invalidated, "reinjected": s.Reinjected} {
		ch <- prometheus.MustNewConstMetric(mpEvents, prometheus.CounterValue, float64(v), label)
	}
	for code, v := range s.Rejected {
		ch <- prometheus.MustNewConstMetric(mpEvents, prometheus.CounterValue, float64(v), "rejected:"+code)
	}
}

// watchCaches exports the signature verifier's, the signature cache's and
// the account cache's counters and sizes (sigs may be nil: all zero).
func (m *metrics) watchCaches(v *consensus.BatchVerifier, sigs *sigcache.Cache, ch *chain.Chain) {
	m.reg.MustRegister(&cacheCollector{v: v, sigs: sigs, ch: ch})
}

type cacheCollector struct {
	v    *consensus.BatchVerifier
	sigs *sigcache.Cache
	ch   *chain.Chain
}

var (
	verSigs       = prometheus.NewDesc("cairn_sig_verifier_signatures_total", "Signatures checked by the batch verifier shared by block checks and mempool batches.", nil, nil)
	verBatches    = prometheus.NewDesc("cairn_sig_verifier_batches_total", "Multi-scalar multiplications run by the batch verifier, bisection included.", nil, nil)
	verBisections = prometheus.NewDesc("cairn_sig_verifier_bisections_total", "Failed signature batches searched for their first bad signature.", nil, nil)
	verKeyHits    = prometheus.NewDesc("cairn_sig_verifier_key_cache_hits_total", "Public keys the batch verifier found already lifted.", nil, nil)
	verKeyMisses  = prometheus.NewDesc("cairn_sig_verifier_key_cache_misses_total", "Public keys the batch verifier had to lift (a square root each).", nil, nil)
	scHits        = prometheus.NewDesc("cairn_sigcache_hits_total", "Signature cache lookups that found a verified tx id (block txs whose signature is not checked again).", nil, nil)
	scMisses      = prometheus.NewDesc("cairn_sigcache_misses_total", "Signature cache lookups that did not find the tx id.", nil, nil)
	scAdds        = prometheus.NewDesc("cairn_sigcache_adds_total", "Verified tx ids added to the signature cache.", nil, nil)
	scEvictions   = prometheus.NewDesc("cairn_sigcache_evictions_total", "Signature cache entries overwritten to make room.", nil, nil)
	scEntries     = prometheus.NewDesc("cairn_sigcache_entries", "Tx ids in the signature cache.", nil, nil)
	scCapacity    = prometheus.NewDesc("cairn_sigcache_capacity", "Tx ids the signature cache can hold (0 = off).", nil, nil)
	acHits        = prometheus.NewDesc("cairn_account_cache_hits_total", "Account state reads answered by the chain's account cache.", nil, nil)
	acMisses      = prometheus.NewDesc("cairn_account_cache_misses_total", "Account state reads that missed the account cache and went to the database.", nil, nil)
	acEntries     = prometheus.NewDesc("cairn_account_cache_entries", "Account states in the account cache.", nil, nil)
	acCapacity    = prometheus.NewDesc("cairn_account_cache_capacity", "Account states the account cache can hold (0 = off).", nil, nil)
)

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{verSigs, verBatches, verBisections, verKeyHits, verKeyMisses,
		scHits, scMisses, scAdds, scEvictions, scEntries, scCapacity, acHits, acMisses, acEntries, acCapacity} {
		ch <- d
	}
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.v.Stats()
	ch <- prometheus.MustNewConstMetric(verSigs, prometheus.CounterValue, float64(v.Signatures))
	ch <- prometheus.MustNewConstMetric(verBatches, prometheus.CounterValue, float64(v.Batches))
	ch <- prometheus.MustNewConstMetric(verBisections, prometheus.CounterValue, float64(v.Bisections))
	ch <- prometheus.MustNewConstMetric(verKeyHits, prometheus.CounterValue, float64(v.KeyCacheHits))
	ch <- prometheus.MustNewConstMetric(verKeyMisses, prometheus.CounterValue, float64(v.KeyCacheMiss))
	s := c.sigs.Stats()
	ch <- prometheus.MustNewConstMetric(scHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(scMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(scAdds, prometheus.CounterValue, float64(s.Adds))
	ch <- prometheus.MustNewConstMetric(scEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(scEntries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(scCapacity, prometheus.GaugeValue, float64(s.Capacity))
	a := c.ch.AccountCacheStats()
	ch <- prometheus.MustNewConstMetric(acHits, prometheus.CounterValue, float64(a.Hits))
	ch <- prometheus.MustNewConstMetric(acMisses, prometheus.CounterValue, float64(a.Misses))
	ch <- prometheus.MustNewConstMetric(acEntries, prometheus.GaugeValue, float64(a.Entries))
	ch <- prometheus.MustNewConstMetric(acCapacity, prometheus.GaugeValue, float64(a.Capacity))
}

// serve exposes /metrics on addr until ctx ends.
func (m *metrics) serve(ctx context.Context, addr string, log *slog.Logger) (func(context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return srv.Shutdown, nil
}

// handler serves the registry in the Prometheus exposition format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// watchNetwork exports peer counts and gossip/sync counters from p2p.
func (m *metrics) watchNetwork(n *p2p.Node) {
	m.gauge("cairn_peers", "Connected peers.", func() float64 { return float64(n.ConnectionCount()) })
	m.reg.MustRegister(&p2pCollector{n: n})
}

type p2pCollector struct{ n *p2p.Node }

var (
	p2pGossip  = prometheus.NewDesc("cairn_gossip_messages_total", "Gossip messages by topic and validator verdict.", []string{"topic", "verdict"}, nil)
	p2pDropped = prometheus.NewDesc("cairn_gossip_dropped_total", "Gossip messages lost to full queues or rejected by pubsub, by reason.", []string{"reason"}, nil)
	p2pSync    = prometheus.NewDesc("cairn_sync_blocks_total", "Blocks fetched by headers-first sync and accepted.", nil, nil)
	p2pHeaders = prometheus.NewDesc("cairn_sync_headers_total", "Headers fetched by sync.", nil, nil)
	p2pStalls  = prometheus.NewDesc("cairn_sync_stalls_total", "Sync requests that timed out.", nil, nil)
	p2pBans    = prometheus.NewDesc("cairn_peer_bans_total", "Peers banned.", nil, nil)
)

func (c *p2pCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p2pGossip, p2pDropped, p2pSync, p2pHeaders, p2pStalls, p2pBans} {
		ch <- d
	}
}

func (c *p2pCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.n.Stats()
	for topic, verdicts := range s.Gossip {
		for v, k := range verdicts {
			ch <- prometheus.MustNewConstMetric(p2pGossip, prometheus.CounterValue, float64(k), topic, v)
		}
	}
	for reason, k := range s.PubsubRejects {
		ch <- prometheus.MustNewConstMetric(p2pDropped, prometheus.CounterValue, float64(k), reason)
	}
	// Losses outside validation: a peer's outbound queue was full (the
	// RPC to it is dropped), our own subscription was too slow, or our
	// publish queue was full.
	for reason, k := range map[string]uint64{
		"outbound queue full": s.Dropped.OutboundRPC,
		"subscriber too slow": s.Dropped.Undeliverable,
		"publish queue full":  s.Dropped.PublishQueue,
	} {
		ch <- prometheus.MustNewConstMetric(p2pDropped, prometheus.CounterValue, float64(k), reason)
	}
	ch <- prometheus.MustNewConstMetric(p2pSync, prometheus.CounterValue, float64(s.BlocksSynced))
	ch <- prometheus.MustNewConstMetric(p2pHeaders, prometheus.CounterValue, float64(s.HeadersFetched))
	ch <- prometheus.MustNewConstMetric(p2pStalls, prometheus.CounterValue, float64(s.Stalls))
	ch <- prometheus.MustNewConstMetric(p2pBans, prometheus.CounterValue, float64(s.Bans))
}
