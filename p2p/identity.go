package p2p

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/libp2p/go-libp2p/core/crypto"
)

const keyFile = "p2p.key"

// loadIdentity reads the node's Ed25519 key from dir, creating it (mode
// 0600) on first start so the peer ID survives restarts. An empty dir gives
// an ephemeral key.
func loadIdentity(dir string, log *slog.Logger) (crypto.PrivKey, error) {
	if dir == "" {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		return k, err
	}
	path := filepath.Join(dir, keyFile)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := crypto.UnmarshalPrivateKey(raw)
		if err != nil {
			return nil, fmt.Errorf("p2p: identity key %s is corrupt (delete it to get a new peer ID): %w", path, err)
		}
		if k.Type() != crypto.Ed25519 {
			return nil, fmt.Errorf("p2p: identity key %s is %v, want Ed25519", path, k.Type())
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("identity key is readable by others; restricting to 0600", "path", path)
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("p2p: chmod identity key: %w", err)
			}
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("p2p: read identity key: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	raw, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("p2p: create data dir: %w", err)
	}
	if err := renameio.WriteFile(path, raw, 0o600); err != nil {
		return nil, fmt.Errorf("p2p: write identity key: %w", err)
	}
	log.Info("created p2p identity", "path", path)
	return k, nil
}
