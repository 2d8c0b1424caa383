package p2p

import (
	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
)

// ChainAPI is what p2p needs from the ledger; *chain.Chain satisfies it.
type ChainAPI interface {
	// ProcessBlock validates and stores b; it returns chain.ErrAlreadyHave
	// for known blocks and consensus.RuleError for invalid ones.
	ProcessBlock(b *consensus.Block) (isMain, isOrphan bool, err error)
	Tip() chain.BlockInfo
	BlockInfo(h consensus.Hash) (chain.BlockInfo, error)
	HaveBlock(h consensus.Hash) bool
	Locator() []consensus.Hash
	HeadersAfter(locator []consensus.Hash, max int) []consensus.Header
	BlockRaw(h consensus.Hash) ([]byte, error)
	Subscribe(fn func(chain.Event)) (unsubscribe func())

	// Headers-first sync: the validation state at a stored header (the
	// start of a pre-sync walk) and the door through which a branch's
	// headers are stored once it carries more work than the tip.
	HeaderState(h consensus.Hash) (consensus.HeaderChainState, error)
	ProcessHeaders(hs []consensus.Header) (chain.BlockInfo, error)
	HaveHeader(h consensus.Hash) bool
}

// MempoolAPI is what p2p needs from the transaction pool; *mempool.Pool
// satisfies it. Add returns consensus.RuleError for invalid txs and
// mempool.Error for policy refusals.
type MempoolAPI interface {
	Add(tx *consensus.Tx) (consensus.Hash, error)
	// AddBatch answers for each tx exactly as Add called on each in turn
	// would, verifying their signatures as one batch.
	AddBatch(txs []*consensus.Tx) ([]consensus.Hash, []error)
	Has(id consensus.Hash) bool
	// Template returns up to maxTxs executable txs, best fee first, each
	// sender's in nonce order: what we announce to a new peer.
	Template(maxTxs, maxBytes int) []*consensus.Tx
}
