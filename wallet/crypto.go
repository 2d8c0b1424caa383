package wallet

import (
	"crypto/rand"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/cairn-chain/cairn/consensus"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

const (
	keySize  = 32 // master key, derived key and private key sizes
	saltSize = 16

	// Bounds on scrypt parameters read from a file, so an edited file cannot
	// make Unlock allocate gigabytes (memory is 128*N*r bytes).
	maxScryptN = 1 << 20
	maxScryptR = 32
	maxScryptP = 16
)

// masterAD binds the sealed master key to its purpose.
var masterAD = []byte("cairn/wallet/master-key")

// KDFParams are scrypt's cost parameters. The zero value selects the
// defaults N=1<<15, r=8, p=1 (about 32 MiB and tens of milliseconds); tests
// pass cheap values.
type KDFParams struct {
	N, R, P int
}

func (k KDFParams) withDefaults() KDFParams {
	if k == (KDFParams{}) {
		return KDFParams{N: 1 << 15, R: 8, P: 1}
	}
	return k
}

func (k KDFParams) validate() error {
	if k.N < 2 || k.N&(k.N-1) != 0 || k.N > maxScryptN {
		return fmt.Errorf("scrypt N=%d: must be a power of two between 2 and %d", k.N, maxScryptN)
	}
	if k.R < 1 || k.R > maxScryptR || k.P < 1 || k.P > maxScryptP {
		return fmt.Errorf("scrypt r=%d p=%d: want 1<=r<=%d and 1<=p<=%d", k.R, k.P, maxScryptR, maxScryptP)
	}
	return nil
}

// deriveKey stretches a passphrase into the key that seals the master key.
func deriveKey(passphrase, salt []byte, k KDFParams) ([]byte, error) {
	key, err := scrypt.Key(passphrase, salt, k.N, k.R, k.P, keySize)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	// scrypt just used 128*N*r bytes (32 MiB by default) once: hand them
	// back to the OS now, or an idle node keeps them as RSS for minutes.
	// Unlocks are rare, so the forced collection costs nothing that matters.
	debug.FreeOSMemory()
	return key, nil
}

// sealed is an XChaCha20-Poly1305 ciphertext with its random nonce.
type sealed struct {
	Nonce      hexBytes `json:"nonce"`
	Ciphertext hexBytes `json:"ciphertext"`
}

func seal(key, plaintext, ad []byte) (sealed, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return sealed{}, err
	}
	nonce, err := randomBytes(chacha20poly1305.NonceSizeX)
	if err != nil {
		return sealed{}, err
	}
	return sealed{Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, plaintext, ad)}, nil
}

// errAuth means a ciphertext failed authentication: wrong key or tampering.
var errAuth = errors.New("authentication failed")

func (s sealed) open(key, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(s.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("nonce is %d bytes, want %d", len(s.Nonce), aead.NonceSize())
	}
	pt, err := aead.Open(nil, s.Nonce, s.Ciphertext, ad)
	if err != nil {
		return nil, errAuth
	}
	return pt, nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("read random bytes: %w", err)
	}
	return b, nil
}

// addressOf is the account address of priv's x-only public key.
func addressOf(priv *btcec.PrivateKey) consensus.Address {
	var pub [32]byte
	copy(pub[:], schnorr.SerializePubKey(priv.PubKey()))
	return consensus.AddressFromPubKey(pub)
}

// newKey generates a key and seals it under master.
func newKey(master []byte) (consensus.Address, sealed, error) {
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		return consensus.Address{}, sealed{}, fmt.Errorf("generate key: %w", err)
	}
	defer priv.Zero()
	return sealKey(master, priv)
}

func sealKey(master []byte, priv *btcec.PrivateKey) (consensus.Address, sealed, error) {
	addr := addressOf(priv)
	raw := priv.Serialize()
	defer clear(raw)
	s, err := seal(master, raw, addr[:])
	return addr, s, err
}

// openKey decrypts the key stored for addr and checks it really is addr's.
func openKey(master []byte, addr consensus.Address, s sealed) (*btcec.PrivateKey, error) {
	raw, err := s.open(master, addr[:])
	if err != nil {
		return nil, fmt.Errorf("decrypt key: %w: the wallet file is damaged, restore it from a backup", err)
	}
	defer clear(raw)
	priv, err := parsePrivKey(raw)
	if err != nil {
		return nil, err
	}
	if addressOf(priv) != addr {
		priv.Zero()
		return nil, fmt.Errorf("stored key does not match its address: the wallet file is damaged, restore it from a backup")
	}
	return priv, nil
}

// parsePrivKey rejects zero and out-of-range scalars, which
// btcec.PrivKeyFromBytes would silently reduce.
func parsePrivKey(raw []byte) (*btcec.PrivateKey, error) {
	if len(raw) != keySize {
		return nil, fmt.Errorf("private key is %d bytes, want %d", len(raw), keySize)
	}
	var k btcec.ModNScalar
	if overflow := k.SetByteSlice(raw); overflow || k.IsZero() {
		k.Zero()
		return nil, fmt.Errorf("private key is out of range for secp256k1")
	}
	priv := btcec.PrivKeyFromScalar(&k) // copies k
	k.Zero()
	return priv, nil
}
