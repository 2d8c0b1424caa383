package chain

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-chain/cairn/chain/sigcache"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Errors returned by Open and the query methods.
var (
	ErrLocked        = errors.New("data dir is in use by another cairn node (stop it first, or use another --datadir)")
	ErrCorrupt       = errors.New("chain database is corrupt (restore a backup, or delete the data dir's chain folder and resync)")
	ErrWrongNetwork  = errors.New("data dir belongs to another network")
	ErrNotFound      = errors.New("not found")
	ErrAlreadyHave   = errors.New("block already known")
	ErrUnknownBlock  = errors.New("unknown block")
	ErrGenesisChange = errors.New("cannot invalidate the genesis block")
)

// Config configures a Chain.
type Config struct {
	Dir        string // LevelDB directory
	Params     *consensus.Params
	Logger     *slog.Logger
	Now        func() time.Time // default time.Now; the only clock the rules see
	SigWorkers int              // signature verification goroutines; 0 = GOMAXPROCS
	MaxOrphans int              // default 64
	// NoSync skips fsync on each block batch. A process crash (kill -9)
	// still loses nothing: LevelDB's journal is in the OS page cache.
	NoSync bool
	// Observer, if set, receives measurements (node wiring backs it with
	// Prometheus; chain itself knows nothing of metrics).
	Observer Observer
	// Verifier batch-verifies block signatures. Nil: Open creates one
	// with SigWorkers goroutines and crypto/rand coefficients.
	Verifier *consensus.BatchVerifier
	// SigCache, if set, holds txs whose signatures verified (filled by the
	// mempool): block checks skip them and forget them. Nil = no cache.
	SigCache *sigcache.Cache
	// AccountCache is how many account states are kept in memory
	// (0 = DefaultAccountCache, negative = none).
	AccountCache int
}

// Observer is told what ProcessBlock did and how long it took, and of reorgs.
// result is "main", "side", "orphan", "duplicate", or the rule code name of
// a rejection (e.g. "ErrBadSignature"), or "error" for storage failures.
type Observer interface {
	BlockProcessed(result string, d time.Duration)
	Reorg(depth uint64)
}

// Chain owns the ledger: block storage, the header index, account state,
// undo data and indexes, all in one LevelDB.
type Chain struct {
	cfg    Config
	params *consensus.Params
	log    *slog.Logger
	db     *leveldb.DB
	wo     *opt.WriteOptions

	mu      sync.RWMutex // guards everything below up to subsMu
	index   map[consensus.Hash]*node
	tip     *node     // == view.tip()
	view    chainView // the main chain by height
	best    *node     // most-work valid header (may be header-only)
	seq     uint64    // next node's arrival number
	orphans *orphanPool
	// connectErrs says why blocks failed to connect since the chain was
	// opened (the status bit is what persists).
	connectErrs map[*node]error
	// plan is ProcessBlock's precomputed connect of the block it is
	// processing (nil when none), for connectNode to use.
	plan  *connectPlan
	accts *accountCache
	// tipInfo is the tip as Tip() returns it, replaced whenever the tip
	// moves, so the most frequent query takes no lock.
	tipInfo atomic.Pointer[BlockInfo]

	notifyMu sync.Mutex // serialises delivery so subscribers see events in order
	subsMu   sync.Mutex
	subs     []subscriber
	nextSub  uint64
}

// Open opens or creates the chain database in cfg.Dir.
func Open(cfg Config) (*Chain, error) {
	if cfg.Params == nil {
		return nil, errors.New("chain: no network parameters")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SigWorkers <= 0 {
		cfg.SigWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxOrphans <= 0 {
		cfg.MaxOrphans = 64
	}
	if cfg.Verifier == nil {
		cfg.Verifier = consensus.NewBatchVerifier(consensus.BatchConfig{Rand: rand.Reader, Workers: cfg.SigWorkers})
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create chain dir: %w", err)
	}
	// Memory: goleveldb holds up to two memtables of WriteBuffer each
	// (live + being flushed); 8 MiB keeps a syncing node's footprint small
	// at little cost in write speed (a block batch is far smaller).
	db, err := leveldb.OpenFile(cfg.Dir, &opt.Options{
		Filter:             filter.NewBloomFilter(10),
		BlockCacheCapacity: 32 << 20,
		WriteBuffer:        8 << 20,
		// Keys, signatures and ids are random bytes that compress poorly:
		// snappy cost CPU in every compaction (~2 ms per 2,000-tx block).
		Compression: opt.NoCompression,
	})
	if err != nil {
		return nil, openError(cfg.Dir, err)
	}
	c := &Chain{
		cfg: cfg, params: cfg.Params, log: cfg.Logger, db: db,
		wo:          &opt.WriteOptions{Sync: !cfg.NoSync},
		index:       make(map[consensus.Hash]*node),
		orphans:     newOrphanPool(cfg.MaxOrphans),
		connectErrs: make(map[*node]error),
	}
	if cfg.AccountCache == 0 {
		cfg.AccountCache = DefaultAccountCache
	}
	c.accts = newAccountCache(cfg.AccountCache)
	if err := c.load(); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

func openError(dir string, err error) error {
	switch {
	case lerrors.IsCorrupted(err):
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, dir, err)
	case strings.Contains(err.Error(), "resource temporarily unavailable") || strings.Contains(err.Error(), "locked"):
		return fmt.Errorf("%w: %s", ErrLocked, filepath.Dir(dir))
	}
	return fmt.Errorf("open chain database %s: %w", dir, err)
}

// Close flushes and closes the database.
func (c *Chain) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.db.Close()
}

// Params returns the network parameters.
func (c *Chain) Params() *consensus.Params { return c.params }

// load initialises a fresh database with genesis, or rebuilds the in-memory
// index from a existing one and finishes any reorg a crash interrupted.
func (c *Chain) load() error {
	g, err := c.db.Get(metaKey(metaGenesis), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return c.initGenesis()
	}
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	if len(g) != consensus.HashSize {
		return fmt.Errorf("%w: genesis record", ErrCorrupt)
	}
	if consensus.Hash(g) != c.params.GenesisHash {
		return fmt.Errorf("%w: it holds genesis %x, network %s has %s", ErrWrongNetwork, g, c.params.Name, c.params.GenesisHash)
	}
	if err := c.loadIndex(); err != nil {
		return err
	}
	tipHash, err := c.db.Get(metaKey(metaTip), nil)
	if err != nil || len(tipHash) != consensus.HashSize {
		return fmt.Errorf("%w: tip record missing", ErrCorrupt)
	}
	tip := c.index[consensus.Hash(tipHash)]
	if tip == nil || !tip.haveData() {
		return fmt.Errorf("%w: tip %x not in index", ErrCorrupt, tipHash)
	}
	// The stored tip was chosen first: it keeps its place among equals.
	tip.seq = 0
	c.setTip(tip)
	c.best = tip
	for _, n := range c.index {
		if !n.invalid() && better(n, c.best) {
			c.best = n
		}
	}
	c.log.Info("chain loaded", "height", c.tip.height, "tip", c.tip.hash, "blocks_indexed", len(c.index))
	// A crash between storing a better block and connecting it leaves the tip
	// behind the best stored block: catch up now.
	var events []Event
	// A crash inside InvalidateBlock can leave the tip on a block now known
	// to be invalid: step back off it first, as InvalidateBlock would have.
	for c.tip.invalid() {
		if err := c.disconnectTip(&events); err != nil {
			return err
		}
	}
	if err := c.activateBest(nil, &events); err != nil {
		return err
	}
	return nil
}

func (c *Chain) initGenesis() error {
	p := c.params
	n := newNode(&p.Genesis.Header, p.GenesisHash, nil)
	n.status = statusValid
	st := consensus.Accounts{}
	consensus.ApplyGenesis(st, p)
	b := new(leveldb.Batch)
	b.Put(metaKey(metaVersion), []byte{dbVersion})
	b.Put(metaKey(metaGenesis), n.hash[:])
	b.Put(hashKey(pfxBlock, n.hash), p.Genesis.Encode())
	b.Put(hashKey(pfxIndex, n.hash), encodeIndexEntry(n))
	b.Put(hashKey(pfxUndo, n.hash), encodeUndo(nil))
	for addr, a := range st {
		b.Put(accountKey(addr), encodeAccount(a))
	}
	b.Put(heightKey(0), n.hash[:])
	b.Put(metaKey(metaTip), n.hash[:])
	if err := c.db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	c.addNode(n)
	c.setTip(n)
	c.best = n
	c.log.Info("chain initialised", "network", p.Name, "genesis", n.hash)
	return nil
}
