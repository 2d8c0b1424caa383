package rpc

import (
	"context"
	"time"

	"github.com/cairn-chain/cairn/chain"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/cairn-chain/cairn/mempool"
	"github.com/cairn-chain/cairn/wallet"
)

// Backend is everything the handlers call. Params, Chain and Mempool are
// required; a nil Miner, Wallet or Network makes the methods that need it
// report so (network queries return empty results instead).
type Backend struct {
	Params  *consensus.Params
	Chain   ChainAPI
	Mempool MempoolAPI
	Miner   MinerAPI
	Wallet  WalletAPI
	Network NetworkAPI
	// Mining and MinerThreads describe background mining for getmininginfo.
	Mining       bool
	MinerThreads int
	// Stop is called by the "stop" method after its response is written.
	Stop func()
	// StartTime is when the node started, for uptime.
	StartTime time.Time
	// ChainDir is the chain database's directory, for getblockchaininfo's
	// size_on_disk (0 when empty).
	ChainDir string
}

// ChainAPI is what rpc needs from the ledger; *chain.Chain satisfies it.
type ChainAPI interface {
	Params() *consensus.Params
	Tip() chain.BlockInfo
	BestHeader() chain.BlockInfo
	BlockInfo(h consensus.Hash) (chain.BlockInfo, error)
	HashAt(height uint64) (consensus.Hash, error)
	Block(h consensus.Hash) (*consensus.Block, error)
	BlockRaw(h consensus.Hash) ([]byte, error)
	Tx(id consensus.Hash) (*consensus.Tx, chain.TxLocation, error)
	Account(a consensus.Address) (consensus.Account, error)
	AddressTxs(a consensus.Address, count, skip int) ([]chain.AddressTx, error)
	StateInfo() (chain.StateInfo, error)
	Tips() []chain.ChainTip
	InvalidateBlock(h consensus.Hash) error
	ReconsiderBlock(h consensus.Hash) error
	ProcessBlock(b *consensus.Block) (isMainChain, isOrphan bool, err error)
}

// MempoolAPI is what rpc needs from the pool; *mempool.Pool satisfies it.
type MempoolAPI interface {
	Add(tx *consensus.Tx) (consensus.Hash, error)
	Get(id consensus.Hash) (*consensus.Tx, bool)
	Count() int
	Bytes() int
	TxIDs() []consensus.Hash
	Txs() []*consensus.Tx
	NextNonce(addr consensus.Address) (uint64, error)
	PendingSpend(addr consensus.Address) uint64
	TxsTouching(addr consensus.Address) []*consensus.Tx
	Template(maxTxs, maxBytes int) []*consensus.Tx
	Stats() mempool.Stats
}

// MinerAPI mines blocks on demand; *miner.Miner satisfies it.
type MinerAPI interface {
	Generate(ctx context.Context, n int, addr consensus.Address) ([]consensus.Hash, error)
	Hashes() uint64
}

// WalletAPI holds the node's wallet, which createwallet may create while
// the node runs. WalletLoader implements it over a wallet directory.
type WalletAPI interface {
	// Wallet returns the loaded wallet, or an error matching wallet.ErrNoWallet.
	Wallet() (Wallet, error)
	// CreateWallet creates and loads a new wallet, locked; it fails with an
	// error matching wallet.ErrWalletExists if there is one.
	CreateWallet(passphrase []byte) (Wallet, error)
	// CreateHDWallet creates a wallet from a new BIP-39 mnemonic, which it
	// returns; RestoreWallet rebuilds one from a mnemonic, rediscovering
	// used addresses through used with a gap limit.
	CreateHDWallet(passphrase []byte) (Wallet, string, error)
	RestoreWallet(mnemonic string, passphrase []byte, used wallet.UsedFunc, gap int) (Wallet, wallet.RestoreResult, error)
}

// Wallet is an open keystore; *wallet.Wallet satisfies it.
type Wallet interface {
	Unlock(passphrase []byte, d time.Duration) error
	Lock()
	NewAddress(label string) (consensus.Address, error)
	Addresses() []wallet.AddressInfo
	BuildSend(view wallet.ChainView, to consensus.Address, amount, fee uint64, memo []byte) (*consensus.Tx, error)
	ImportPrivKey(hexKey string, passphrase []byte, label string) (consensus.Address, error)
	DumpPrivKey(addr consensus.Address, passphrase []byte) (string, error)
	Backup(path string) error
	Info() wallet.Info
	Outbox() *wallet.Outbox
	BuildSendFrom(view wallet.ChainView, from, to consensus.Address, amount, fee uint64, memo []byte) (*consensus.Tx, error)
	BuildSendAll(view wallet.ChainView, from *consensus.Address, to consensus.Address, fee uint64, memo []byte) (*consensus.Tx, error)
}

// NetworkAPI is the peer-to-peer layer as rpc sees it.
type NetworkAPI interface {
	Peers() []PeerInfo
	ConnectionCount() int
	Info() NetworkInfo
	AddNode(ctx context.Context, multiaddr string) error
	DisconnectNode(peerID string) error
	// Ban refuses and disconnects a peer for d; Unban lifts it.
	Ban(peerID string, d time.Duration, reason string) error
	Unban(peerID string) error
	Banned() []BanInfo
	ClearBans()
}

// BanInfo is one refused peer.
type BanInfo struct {
	ID     string
	Until  time.Time
	Reason string
}

// PeerInfo describes one connected peer.
type PeerInfo struct {
	ID             string
	Addrs          []string
	Direction      string // "inbound" or "outbound"
	Protocol       string
	BestHeight     uint64
	Score          float64
	BytesIn        uint64
	BytesOut       uint64
	ConnectedSince time.Time
}

// NetworkInfo describes the local peer.
type NetworkInfo struct {
	PeerID      string
	ListenAddrs []string
	Protocol    string
}
