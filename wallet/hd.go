package wallet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/cairn-chain/cairn/consensus"
	"github.com/tyler-smith/go-bip39"
)

const (
	// MnemonicWords is the length of the mnemonic a new wallet shows (256
	// bits of entropy). Restore accepts any valid BIP-39 length.
	MnemonicWords = 24

	// DefaultGapLimit is how many unused addresses in a row Restore derives
	// past the last used one before it stops looking (BIP-44's value).
	DefaultGapLimit = 20

	// MaxGapLimit bounds the lookups one restore can ask of the node.
	MaxGapLimit = 10000

	// Purpose is the BIP-43 purpose level: 86 as in BIP-86, whose keys are
	// x-only (BIP-340) public keys, which is what a Cairn address commits to.
	Purpose = 86

	// CoinTypeMain is the main network's BIP-44 coin type. It is not
	// registered in SLIP-44; it is the main network's RPC port, easy to
	// recognise. Every other network uses 1, as Bitcoin's test networks do.
	CoinTypeMain = 9632
	coinTypeTest = 1
)

// seedAD binds the sealed BIP-39 seed to its purpose.
var seedAD = []byte("cairn/wallet/hd-seed")

// xpubNet gives extended keys their serialization version bytes (xprv/xpub,
// as Bitcoin's mainnet). They only label the encoding; the keys and the
// addresses do not depend on them.
var xpubNet = &chaincfg.MainNetParams

// CoinType is p's BIP-44 coin type: CoinTypeMain on main, 1 elsewhere.
func CoinType(p *consensus.Params) uint32 {
	if p.Name == consensus.MainParams().Name && p.ChainID == consensus.MainParams().ChainID {
		return CoinTypeMain
	}
	return coinTypeTest
}

// AccountPath is the BIP-32 path of the wallet's one account,
// m/86'/<coin type>'/0'. Receiving address i is AccountPath/0/i.
func AccountPath(p *consensus.Params) string {
	return fmt.Sprintf("m/%d'/%d'/0'", Purpose, CoinType(p))
}

// AddressPath is the BIP-32 path of receiving address i.
func AddressPath(p *consensus.Params, i uint32) string {
	return fmt.Sprintf("%s/0/%d", AccountPath(p), i)
}

// NewMnemonic returns a fresh MnemonicWords-word English BIP-39 mnemonic.
func NewMnemonic() (string, error) {
	entropy, err := bip39.NewEntropy(MnemonicWords / 3 * 32)
	if err != nil {
		return "", fmt.Errorf("mnemonic entropy: %w", err)
	}
	defer clear(entropy)
	return bip39.NewMnemonic(entropy)
}

// NormalizeMnemonic lowercases m, collapses whitespace and checks the
// words and the checksum, naming the first word not in the BIP-39 English
// list, so a typo is found before anything is derived.
func NormalizeMnemonic(m string) (string, error) {
	words := strings.Fields(strings.ToLower(m))
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return "", fmt.Errorf("%w: it has %d words, want 12, 15, 18, 21 or 24 (a new Cairn wallet shows %d)",
			ErrBadMnemonic, len(words), MnemonicWords)
	}
	for i, w := range words {
		if _, ok := bip39.GetWordIndex(w); !ok {
			return "", fmt.Errorf("%w: word %d %q is not in the BIP-39 English word list", ErrBadMnemonic, i+1, w)
		}
	}
	norm := strings.Join(words, " ")
	if _, err := bip39.EntropyFromMnemonic(norm); err != nil {
		return "", fmt.Errorf("%w: the checksum does not match: a word is wrong or two are swapped", ErrBadMnemonic)
	}
	return norm, nil
}

// seedFromMnemonic is the BIP-39 seed with an empty BIP-39 passphrase (the
// wallet passphrase encrypts the file; it is not part of the seed, so a
// forgotten wallet passphrase does not lose the funds: the mnemonic alone
// restores them).
func seedFromMnemonic(m string) []byte { return bip39.NewSeed(m, "") }

// hdState is an HD wallet's key chain: the sealed seed for signing, and
// the account's public key for handing out addresses while locked.
type hdState struct {
	seed sealed                  // 64-byte BIP-39 seed, sealed under the master key
	xpub string                  // account key at AccountPath, public
	next uint32                  // next receiving index NewAddress derives
	ext  *hdkeychain.ExtendedKey // public key of AccountPath/0, from xpub; immutable
}

// accountKey derives the private account key at AccountPath from seed.
func accountKey(seed []byte, p *consensus.Params) (*hdkeychain.ExtendedKey, error) {
	return accountKeyCoin(seed, CoinType(p))
}

// accountKeyCoin derives m/86'/coin'/0' (any coin, for BIP-86's vectors).
func accountKeyCoin(seed []byte, coin uint32) (*hdkeychain.ExtendedKey, error) {
	k, err := hdkeychain.NewMaster(seed, xpubNet)
	if err != nil {
		return nil, fmt.Errorf("hd master key: %w", err)
	}
	for _, i := range []uint32{Purpose, coin, 0} {
		child, err := k.Derive(hdkeychain.HardenedKeyStart + i)
		k.Zero()
		if err != nil {
			return nil, fmt.Errorf("derive m/%d'/%d'/0': %w", Purpose, coin, err)
		}
		k = child
	}
	return k, nil
}

// newHDState seals seed under master and records the account's xpub.
func newHDState(master, seed []byte, p *consensus.Params) (*hdState, error) {
	acct, err := accountKey(seed, p)
	if err != nil {
		return nil, err
	}
	defer acct.Zero()
	pub, err := acct.Neuter()
	if err != nil {
		return nil, err
	}
	s, err := seal(master, seed, seedAD)
	if err != nil {
		return nil, err
	}
	return parseHD(s, pub.String(), 0)
}

// parseHD checks an account xpub and derives its receiving chain.
func parseHD(seed sealed, xpub string, next uint32) (*hdState, error) {
	k, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		return nil, fmt.Errorf("account xpub: %w", err)
	}
	if k.IsPrivate() || k.Depth() != 3 {
		return nil, errors.New("account xpub: want a public key at depth 3 (m/86'/coin'/0')")
	}
	ext, err := k.Derive(0)
	if err != nil {
		return nil, fmt.Errorf("account xpub: receiving chain: %w", err)
	}
	return &hdState{seed: seed, xpub: xpub, next: next, ext: ext}, nil
}

// address derives receiving address i from the public chain: no secret
// needed, so this works while locked.
func (h *hdState) address(i uint32) (consensus.Address, error) {
	if i >= hdkeychain.HardenedKeyStart {
		return consensus.Address{}, fmt.Errorf("hd index %d: the receiving chain is exhausted", i)
	}
	k, err := h.ext.Derive(i)
	if err != nil {
		return consensus.Address{}, fmt.Errorf("derive address %d: %w", i, err)
	}
	pk, err := k.ECPubKey()
	if err != nil {
		return consensus.Address{}, err
	}
	var x [32]byte
	copy(x[:], schnorr.SerializePubKey(pk))
	return consensus.AddressFromPubKey(x), nil
}

// privKey derives receiving key i from the sealed seed and checks that it
// is the key of addr.
func (h *hdState) privKey(master []byte, p *consensus.Params, i uint32, addr consensus.Address) (*btcec.PrivateKey, error) {
	seed, err := h.seed.open(master, seedAD)
	if err != nil {
		return nil, fmt.Errorf("decrypt hd seed: %w: the wallet file is damaged, restore it from a backup", err)
	}
	defer clear(seed)
	acct, err := accountKey(seed, p)
	if err != nil {
		return nil, err
	}
	defer acct.Zero()
	chain, err := acct.Derive(0)
	if err != nil {
		return nil, err
	}
	defer chain.Zero()
	k, err := chain.Derive(i)
	if err != nil {
		return nil, err
	}
	defer k.Zero()
	priv, err := k.ECPrivKey()
	if err != nil {
		return nil, err
	}
	if addressOf(priv) != addr {
		priv.Zero()
		return nil, errors.New("hd key does not match its address: the wallet file is damaged, restore it from a backup")
	}
	return priv, nil
}
