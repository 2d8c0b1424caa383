package consensus

import "github.com/holiman/uint256"

// Checkpoint pins the block hash at a height. Headers that contradict one
// are invalid, and once a node's chain has passed a checkpoint it refuses
// forks that branch off below it, so a long low-difficulty fork from an
// early block can never be made to look acceptable.
type Checkpoint struct {
	Height uint64
	Hash   Hash
}

// CheckCheckpoint fails if params pin a different hash at height.
func CheckCheckpoint(p *Params, height uint64, h Hash) error {
	for _, cp := range p.Checkpoints {
		if cp.Height == height && cp.Hash != h {
			return ruleErr(ErrCheckpointMismatch, "block %s at height %d contradicts checkpoint %s", h, height, cp.Hash)
		}
	}
	return nil
}

// LastCheckpoint returns the highest checkpoint, if any.
func (p *Params) LastCheckpoint() (Checkpoint, bool) {
	var last Checkpoint
	ok := false
	for _, cp := range p.Checkpoints {
		if !ok || cp.Height > last.Height {
			last, ok = cp, true
		}
	}
	return last, ok
}

// HeaderChainState is everything needed to validate the next header of a
// chain without storing the chain: the last header's hash, height, bits and
// cumulative work, and the timestamps the median-time rule looks at. Header
// pre-sync walks a peer's branch with one of these, so the memory it costs
// does not grow with the branch.
type HeaderChainState struct {
	Hash      Hash
	Height    uint64
	Timestamp int64
	Work      uint256.Int
	// times holds up to MedianTimeBlocks timestamps, oldest first, ending
	// with Timestamp.
	times []int64
}

// NewHeaderChainState starts a state at a known block. times are the block's
// and its ancestors' timestamps, oldest first, ending with the block's own
// (at most MedianTimeBlocks are kept).
func NewHeaderChainState(hash Hash, height uint64, work *uint256.Int, times []int64) HeaderChainState {
	if len(times) > MedianTimeBlocks {
		times = times[len(times)-MedianTimeBlocks:]
	}
	s := HeaderChainState{Hash: hash, Height: height, times: append(make([]int64, 0, MedianTimeBlocks), times...)}
	if len(times) > 0 {
		s.Timestamp = times[len(times)-1]
	}
	s.Work.Set(work)
	return s
}

// ParentInfo is the stage 2 view of the state's last header.
func (s *HeaderChainState) ParentInfo() ParentInfo {
	return ParentInfo{Height: s.Height, Timestamp: s.Timestamp, MedianTimePast: MedianTime(s.times)}
}

// Next validates h as the child of the state's last header (linkage, proof
// of work, difficulty, median time, the future bound against now, and
// checkpoints) and, if it passes, advances the state to h. On error the
// state is unchanged.
func (s *HeaderChainState) Next(h *Header, p *Params, now int64) error {
	if h.PrevHash != s.Hash {
		return ruleErr(ErrHeaderLink, "header's parent %s is not %s", h.PrevHash, s.Hash)
	}
	if h.Version != BlockVersion {
		return ruleErr(ErrBadVersion, "block version %d, want %d", h.Version, BlockVersion)
	}
	hash := h.Hash()
	if err := CheckProofOfWork(hash, h.Bits, p.PowLimit); err != nil {
		return err
	}
	if err := CheckHeaderContext(h, s.ParentInfo(), p, now); err != nil {
		return err
	}
	if err := CheckCheckpoint(p, s.Height+1, hash); err != nil {
		return err
	}
	s.Hash = hash
	s.Height++
	s.Timestamp = h.Timestamp
	s.Work.Add(&s.Work, WorkForBits(h.Bits))
	if len(s.times) == MedianTimeBlocks {
		copy(s.times, s.times[1:])
		s.times = s.times[:MedianTimeBlocks-1]
	}
	s.times = append(s.times, h.Timestamp)
	return nil
}
