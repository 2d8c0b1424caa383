package p2p

import (
	"fmt"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/p2p/peers"
	"github.com/holiman/uint256"
)

// Header pre-sync (after Bitcoin Core's): before any header of a peer's
// branch is stored or any body fetched, the branch is walked in memory from
// the fork point with O(1) state (consensus.HeaderChainState: linkage, PoW,
// ASERT bits, median time, the future bound, checkpoints, cumulative work)
// until its work exceeds max(our tip's, Params.MinChainWork). A branch that
// never gets there costs us a walk and nothing on disk.
//
// Memory stays bounded however long the branch: the first presyncKeep
// headers are kept (the normal case, a peer a few blocks ahead or a sync
// from genesis on a network without MinChainWork, becomes worthy within
// them and is stored straight away); beyond that only the hash of every
// presyncCommitEvery-th header and of the header that made the branch
// worthy are kept, and the branch is downloaded again from the fork point,
// each header checked against those commitments before it is stored.
const (
	defaultPresyncKeep = 4 * 2000
	defaultCommitEvery = 1000
	maxHeadersPerStore = 2000 // chain.MaxHeadersPerCall
	// maxCommits caps the commitments of one walk (a branch of 10^8
	// headers at the default sampling), on top of the length bound below.
	maxCommits = 100_000
)

// presync is one peer's branch being walked.
type presync struct {
	n       *Node
	st      consensus.HeaderChainState
	started bool
	fork    consensus.Hash
	forkAt  uint64
	count   int // headers walked
	// maxLen bounds the branch: the median-time rule makes timestamps
	// advance at least a second every 6 headers, and none may pass our
	// clock's future bound, so a longer branch cannot be valid (Core's
	// bound on pre-sync commitments).
	maxLen uint64

	worthy bool
	// buf holds the first headers while the branch is not yet worthy;
	// overflowed once it would exceed the keep bound (buf is then freed).
	buf        []consensus.Header
	overflowed bool
	// commits pins sampled heights (and the worthy point) for a re-download.
	commits map[uint64]consensus.Hash
	final   uint64 // height at which the branch became worthy
	// redownload is set when the branch became worthy after overflowing.
	redownload bool
}

func (n *Node) newPresync() *presync { return &presync{n: n, commits: map[uint64]consensus.Hash{}} }

// threshold is the work a branch must exceed to be stored.
func (n *Node) threshold() *uint256.Int {
	t := new(uint256.Int).Set(n.chain.Tip().ChainWork)
	if m := n.params.MinChainWork; m != nil && m.Cmp(t) > 0 {
		t.Set(m)
	}
	return t
}

// add walks a batch. It returns the headers now ready to store (contiguous,
// starting at height first), which is everything from the point the branch
// became worthy, plus the kept prefix if it became worthy within the keep
// bound. An error means the batch is invalid from some header on (judge
// it) or does not connect; the ready headers before that one are returned
// with it, so a peer whose newest blocks are ahead of our clock still gives
// us the rest.
func (ps *presync) add(hs []consensus.Header) (ready []consensus.Header, first uint64, err error) {
	n := ps.n
	if !ps.started {
		st, err := n.chain.HeaderState(hs[0].PrevHash)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: first header's parent %s unknown", peers.ErrNotConnecting, hs[0].PrevHash)
		}
		ps.st, ps.started = st, true
		ps.fork, ps.forkAt = st.Hash, st.Height
		span := time.Now().Unix() + n.params.MaxFutureBlockTime - st.Timestamp
		ps.maxLen = 6*uint64(max(span, 0)) + 6*consensus.MedianTimeBlocks
	}
	if hs[0].PrevHash != ps.st.Hash {
		return nil, 0, fmt.Errorf("%w: batch does not continue the previous one", peers.ErrNotConnecting)
	}
	threshold := n.threshold()
	now := time.Now().Unix()
	first = ps.st.Height + 1
	for i := range hs {
		if err := ps.st.Next(&hs[i], n.params, now); err != nil {
			return ready, first, fmt.Errorf("header %d at height %d: %w", i, ps.st.Height+1, err)
		}
		ps.count++
		if !ps.worthy && (ps.st.Height-ps.forkAt > ps.maxLen || len(ps.commits) > maxCommits) {
			return ready, first, fmt.Errorf("%w: branch longer than any valid chain since the fork point (%d headers)",
				peers.ErrLiedWork, ps.st.Height-ps.forkAt)
		}
		if ps.worthy {
			ready = append(ready, hs[i])
			continue
		}
		if (ps.st.Height-ps.forkAt)%uint64(n.cfg.presyncCommitEvery) == 0 {
			ps.commits[ps.st.Height] = ps.st.Hash
		}
		if !ps.overflowed {
			if len(ps.buf) < n.cfg.presyncKeep {
				ps.buf = append(ps.buf, hs[i])
			} else {
				ps.overflowed, ps.buf = true, nil
				n.stats.presyncOverflows.Add(1)
			}
		}
		n.stats.notePresyncHeld(len(ps.buf))
		if ps.st.Work.Cmp(threshold) <= 0 {
			continue
		}
		ps.worthy, ps.final = true, ps.st.Height
		ps.commits[ps.st.Height] = ps.st.Hash
		if ps.overflowed {
			// The rest of this batch comes again after the re-download.
			ps.redownload = true
			return nil, 0, nil
		}
		ready, first = ps.buf, ps.forkAt+1
		ps.buf = nil
	}
	return ready, first, nil
}

// redownloadFrom fetches the branch again from the fork point up to the
// worthy point, checks it against the commitments and stores it in pieces,
// each only once the commitment that ends it is verified (the hash chain
// then vouches for every header before it).
func (n *Node) redownloadFrom(sp peers.Candidate, ps *presync) error {
	n.log.Info("sync re-downloading pre-synced headers", "peer", sp.ID, "from_height", ps.forkAt+1, "to_height", ps.final,
		"commitments", len(ps.commits))
	prev, height := ps.fork, ps.forkAt
	var pending []consensus.Header
	for height < ps.final {
		if err := n.ctx.Err(); err != nil {
			return err
		}
		hs, err := n.fetchHeaders(sp.ID, []consensus.Hash{prev, ps.fork})
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			err := fmt.Errorf("%w: branch ended at height %d on re-download, had reached %d", peers.ErrLiedWork, height, ps.final)
			n.judge(sp.ID, peers.KindHeader, err, "sync re-download")
			return err
		}
		for i := range hs {
			if hs[i].PrevHash != prev {
				err := fmt.Errorf("%w: re-downloaded header at height %d does not link", peers.ErrNotConnecting, height+1)
				n.judge(sp.ID, peers.KindHeader, err, "sync re-download")
				return err
			}
			prev = hs[i].Hash()
			height++
			pending = append(pending, hs[i])
			if want, ok := ps.commits[height]; ok {
				if want != prev {
					err := fmt.Errorf("%w: re-downloaded header at height %d differs from the first pass", peers.ErrLiedWork, height)
					n.judge(sp.ID, peers.KindHeader, err, "sync re-download")
					return err
				}
				if err := n.storeAndFetch(sp, pending, height-uint64(len(pending))+1); err != nil {
					return err
				}
				pending = nil
			}
			if height == ps.final {
				break
			}
		}
		n.stats.headersFetched.Add(uint64(len(hs)))
	}
	return nil
}

// storeAndFetch stores a worthy run of headers (in chain-sized pieces) and
// fetches and processes their bodies.
func (n *Node) storeAndFetch(sp peers.Candidate, hs []consensus.Header, first uint64) error {
	for i := 0; i < len(hs); i += maxHeadersPerStore {
		part := hs[i:min(i+maxHeadersPerStore, len(hs))]
		if _, err := n.chain.ProcessHeaders(part); err != nil {
			n.judge(sp.ID, peers.KindHeader, err, "sync headers")
			return fmt.Errorf("p2p: store headers: %w", err)
		}
		n.stats.headersStored.Add(uint64(len(part)))
	}
	return n.fetchBodies(hs, first, sp)
}
