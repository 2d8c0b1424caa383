package p2p

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/cairn-chain/cairn/p2p/wire"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

const (
	// maxJobTries bounds how often one batch is re-requested before the
	// sync gives up on the session.
	maxJobTries = 8
	// noPeerWait is how long to wait for a peer able to serve a batch.
	noPeerWait    = 250 * time.Millisecond
	progressEvery = 2 * time.Second
	// preverifyMaxSigs bounds the signatures the verifier stage batches at
	// once: the batch's gain per signature flattens out past a few
	// thousand, and a smaller group reaches the processor sooner.
	preverifyMaxSigs = 4096
)

// job is one block request: positions into the session's want list.
type job struct {
	pos   []int
	tried map[peer.ID]bool
	tries int
}

type fetchResult struct {
	job    *job
	peer   peer.ID
	blocks map[int]*consensus.Block // by position
	err    error
}

type fetched struct {
	block *consensus.Block
	from  peer.ID
}

type procResult struct {
	pos  int
	from peer.ID
	err  error
}

// fetchSession downloads the bodies of one checked header batch from every
// able peer and hands them to the chain in height order.
type fetchSession struct {
	n          *Node
	ctx        context.Context
	headerPeer peer.ID
	hashes     []consensus.Hash // wanted blocks, in height order
	heights    []uint64
	pending    []*job // sorted by first position
	inflight   map[peer.ID]int
	assigned   map[peer.ID]int // jobs handed to each peer this session
	buffer     map[int]fetched
	results    chan fetchResult
	verIn      chan fetched // to the verifier stage (== procIn without one)
	procIn     chan fetched
	procOut    chan procResult
	handed     int // positions handed to the processor
	processed  int // positions the chain has finished
	active     int // jobs in flight
}

// fetchBodies fetches and processes the blocks of hs (starting at height
// first) that we do not already have.
func (n *Node) fetchBodies(hs []consensus.Header, first uint64, sp peers.Candidate) error {
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	s := &fetchSession{
		n: n, ctx: ctx, headerPeer: sp.ID,
		inflight: map[peer.ID]int{}, assigned: map[peer.ID]int{}, buffer: map[int]fetched{},
	}
	for i := range hs {
		h := hs[i].Hash()
		if n.chain.HaveBlock(h) {
			continue // stored, or an orphan that connects with its parent
		}
		s.hashes = append(s.hashes, h)
		s.heights = append(s.heights, first+uint64(i))
	}
	if len(s.hashes) == 0 {
		return nil
	}
	for i := 0; i < len(s.hashes); i += wire.MaxBlocksPerRequest {
		j := &job{tried: map[peer.ID]bool{}}
		for k := i; k < min(i+wire.MaxBlocksPerRequest, len(s.hashes)); k++ {
			j.pos = append(j.pos, k)
		}
		s.pending = append(s.pending, j)
	}
	window := n.cfg.SyncWindow
	s.results = make(chan fetchResult, window+1)
	s.procIn = make(chan fetched, window+1)
	s.procOut = make(chan procResult, window+1)
	s.verIn = s.procIn
	if n.cfg.Preverify != nil {
		s.verIn = make(chan fetched, window+1)
	}
	procDone := make(chan struct{})
	n.goSafe("sync processor", func() {
		defer close(procDone)
		if s.verIn != s.procIn {
			// Started here so it lives inside the processor's lifetime:
			// the processor ends only once the verifier closed procIn.
			go func() {
				defer n.recoverPanic("sync verifier")
				s.preverify()
			}()
		}
		s.process()
	})
	err := s.run(sp.Height)
	close(s.verIn) // the verifier stage, if any, closes procIn after it
	if err != nil {
		cancel() // the processor skips what is still queued
	}
	<-procDone
	return err
}

// preverify is the verifier stage between download and processing: it
// takes the blocks waiting in order (up to preverifyMaxSigs signatures) and
// has their signatures verified as one batch into the signature cache, so
// the processor connects them without verifying, while this stage already
// verifies the next group. It decides nothing: a bad block is left
// unverified and the chain refuses it, in order, with its usual error.
func (s *fetchSession) preverify() {
	defer close(s.procIn)
	var group []fetched
	var blocks []*consensus.Block
	for f := range s.verIn {
		group = append(group[:0], f)
		sigs := len(f.block.Txs)
	more:
		for sigs < preverifyMaxSigs {
			select {
			case g, ok := <-s.verIn:
				if !ok {
					break more
				}
				group = append(group, g)
				sigs += len(g.block.Txs)
			default:
				break more
			}
		}
		if s.ctx.Err() == nil {
			blocks = blocks[:0]
			for _, g := range group {
				blocks = append(blocks, g.block)
			}
			s.runPreverify(blocks)
			clear(blocks) // keep no block alive past its processing
		}
		for _, g := range group {
			s.procIn <- g // never blocks: at most SyncWindow positions are outstanding
		}
		clear(group)
	}
}

// runPreverify calls the hook; a panic in it only costs the speed-up, the
// blocks still go to the processor.
func (s *fetchSession) runPreverify(blocks []*consensus.Block) {
	defer s.n.recoverPanic("sync verifier")
	s.n.cfg.Preverify(blocks)
}

// process feeds blocks to the chain strictly in the order received, which
// is height order.
func (s *fetchSession) process() {
	pos := 0
	var failed error // after a refused block its descendants are skipped
	for f := range s.procIn {
		var err error
		if failed != nil {
			err = failed
		} else if s.ctx.Err() != nil {
			err = s.ctx.Err()
		} else {
			_, isOrphan, perr := s.n.chain.ProcessBlock(f.block)
			switch {
			case errors.Is(perr, chain.ErrAlreadyHave):
			case perr != nil:
				err = perr
			case isOrphan:
				err = fmt.Errorf("block %s arrived as an orphan during sync", f.block.Hash())
			default:
				s.n.stats.blocksSynced.Add(1)
			}
		}
		if err != nil && failed == nil {
			failed = fmt.Errorf("p2p: skipped after an earlier block failed: %w", context.Canceled)
		}
		s.procOut <- procResult{pos: pos, from: f.from, err: err}
		pos++
	}
}

// run is the scheduler loop. It owns every field of s but the channels'
// other ends.
func (s *fetchSession) run(peerHeight uint64) error {
	n := s.n
	window := n.cfg.SyncWindow
	lastLog := time.Now()
	started := time.Now()
	var idleSince time.Time
	for s.processed < len(s.hashes) {
		s.handOver()
		s.dispatch(window)
		var wait <-chan time.Time
		// Waiting on the processor (window full) is fine; a job inside the
		// window that no peer can take, with nothing in flight, is not.
		starved := len(s.pending) > 0 && s.pending[0].pos[0] < s.processed+window
		if s.active == 0 && starved {
			if idleSince.IsZero() {
				idleSince = time.Now()
			} else if time.Since(idleSince) > n.cfg.PeerTimeout {
				return fmt.Errorf("p2p: no peer can serve blocks from height %d", s.heights[s.pending[0].pos[0]])
			}
			wait = time.After(noPeerWait)
		} else {
			idleSince = time.Time{}
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case r := <-s.results:
			if err := s.onResult(r); err != nil {
				return err
			}
		case r := <-s.procOut:
			if r.err != nil {
				return s.onInvalid(r)
			}
			s.processed++
		case <-wait:
		}
		if time.Since(lastLog) >= progressEvery {
			lastLog = time.Now()
			h := s.heights[max(s.processed-1, 0)]
			secs := time.Since(started).Seconds()
			n.log.Info("sync progress", "height", h, "target", peerHeight,
				"percent", fmt.Sprintf("%.1f", 100*float64(h)/float64(max(peerHeight, 1))),
				"blocks_per_sec", fmt.Sprintf("%.1f", float64(s.processed)/max(secs, 1e-3)), "eta", time.Duration(float64(peerHeight-min(h, peerHeight))*secs/float64(max(s.processed, 1))*float64(time.Second)).Round(time.Second),
				"requests_in_flight", s.active, "buffered", len(s.buffer), "verifying", s.handed-s.processed)
		}
	}
	return nil
}

// handOver passes buffered blocks to the processor in order.
func (s *fetchSession) handOver() {
	for {
		f, ok := s.buffer[s.handed]
		if !ok {
			return
		}
		delete(s.buffer, s.handed)
		s.verIn <- f // never blocks: at most SyncWindow positions are outstanding
		s.handed++
	}
}

// dispatch assigns pending jobs inside the window to the least-loaded
// peers that have them.
func (s *fetchSession) dispatch(window int) {
	for len(s.pending) > 0 {
		j := s.pending[0]
		if j.pos[0] >= s.processed+window {
			return
		}
		p, ok := s.pickPeer(j, window)
		if !ok {
			return
		}
		s.pending = s.pending[1:]
		s.inflight[p]++
		s.assigned[p]++
		s.active++
		hashes := make([]consensus.Hash, len(j.pos))
		for i, pos := range j.pos {
			hashes[i] = s.hashes[pos]
		}
		s.n.goSafe("fetch blocks", func() {
			blocks, err := s.n.requestBlocks(s.ctx, p, hashes)
			r := fetchResult{job: j, peer: p, err: err, blocks: map[int]*consensus.Block{}}
			for i, b := range blocks {
				if b != nil {
					r.blocks[j.pos[i]] = b
				}
			}
			s.results <- r // buffered for every job that can be in flight
		})
	}
}

// pickPeer chooses a ready peer whose status covers the job, that has not
// failed it, with the fewest requests in flight. Each peer gets at most its
// share of the window so several peers serve in parallel.
func (s *fetchSession) pickPeer(j *job, window int) (peer.ID, bool) {
	top := s.heights[j.pos[len(j.pos)-1]]
	var able []peers.Candidate
	for _, sp := range s.n.table.Ready() {
		if sp.Height >= top && !j.tried[sp.ID] && s.n.allowed(sp.ID) {
			able = append(able, sp)
		}
	}
	if len(able) == 0 {
		if len(j.tried) > 0 && j.tries < maxJobTries {
			j.tried = map[peer.ID]bool{} // everyone failed once: try again
			j.tries++
		}
		return "", false
	}
	share := (window/wire.MaxBlocksPerRequest + len(able) - 1) / len(able)
	share = max(share, 1)
	sort.Slice(able, func(a, b int) bool {
		pa, pb := able[a].ID, able[b].ID
		if s.inflight[pa] != s.inflight[pb] {
			return s.inflight[pa] < s.inflight[pb]
		}
		return s.assigned[pa] < s.assigned[pb]
	})
	if p := able[0].ID; s.inflight[p] < share {
		return p, true
	}
	return "", false
}

// onResult stores what a peer sent and re-queues what it did not.
func (s *fetchSession) onResult(r fetchResult) error {
	s.inflight[r.peer]--
	s.active--
	got := 0
	var missing []int
	for _, pos := range r.job.pos {
		b, ok := r.blocks[pos]
		if !ok {
			missing = append(missing, pos)
			continue
		}
		if pos >= s.handed {
			if _, dup := s.buffer[pos]; !dup {
				s.buffer[pos] = fetched{block: b, from: r.peer}
				got++
			}
		}
	}
	if got > 0 {
		s.n.stats.served(r.peer, got)
	}
	if r.err != nil {
		s.n.judge(r.peer, peers.KindMessage, r.err, "blocks response")
	}
	if len(missing) == 0 {
		return nil
	}
	if r.job.tries >= maxJobTries {
		return fmt.Errorf("p2p: blocks from height %d failed %d times", s.heights[missing[0]], maxJobTries)
	}
	s.n.stats.syncRetries.Add(1)
	j := &job{pos: missing, tried: r.job.tried, tries: r.job.tries + 1}
	j.tried[r.peer] = true
	i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].pos[0] > j.pos[0] })
	s.pending = append(s.pending, nil)
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = j
	return nil
}

// onInvalid handles a block the chain refused. Its hash matched a header
// with valid proof of work, so if the policy blames the block, the branch
// itself is bad: both the peer that served the headers and the one that
// served the body advertised it. Clock skew, storage trouble and the like
// stop the session without blame.
func (s *fetchSession) onInvalid(r procResult) error {
	what := fmt.Sprintf("served block at height %d", s.heights[r.pos])
	s.n.judge(r.from, peers.KindBlock, r.err, what)
	if s.headerPeer != r.from {
		s.n.judge(s.headerPeer, peers.KindBlock, r.err, "advertised "+what)
	}
	return fmt.Errorf("p2p: process block at height %d: %w", s.heights[r.pos], r.err)
}

// requestBlocks fetches hashes from p. The result has one entry per hash,
// nil where p does not have the block; blocks received before an error are
// returned with it.
func (n *Node) requestBlocks(ctx context.Context, p peer.ID, hashes []consensus.Hash) ([]*consensus.Block, error) {
	out := make([]*consensus.Block, len(hashes))
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PeerTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, protocol.ID(wire.BlocksProtocol))
	if err != nil {
		return out, fmt.Errorf("p2p: open blocks stream: %w", err)
	}
	defer s.Close()
	if err := wire.WriteFrame(s, wire.EncodeHashes(hashes), n.deadline()); err != nil {
		_ = s.Reset()
		return out, err
	}
	_ = s.CloseWrite()
	deadline := time.Now().Add(n.cfg.PeerTimeout)
	for i, want := range hashes {
		raw, err := wire.ReadFrameBy(s, n.maxBlockFrame(), deadline)
		if err != nil {
			_ = s.Reset()
			return out, err
		}
		if len(raw) == 0 {
			continue
		}
		b, err := consensus.DecodeBlock(raw)
		if err != nil {
			_ = s.Reset()
			return out, wire.Errorf("block %s: %v", want, err)
		}
		if got := b.Hash(); got != want {
			_ = s.Reset()
			return out, wire.Errorf("asked for block %s, got %s", want, got)
		}
		out[i] = b
	}
	return out, nil
}
