// Package wallet keeps a node's private keys encrypted on disk and signs
// transfers with them.
//
// The keystore is one JSON file, <Dir>/wallet.json. A random 32-byte master
// key is sealed with XChaCha20-Poly1305 under a key that scrypt derives from
// the passphrase; every private key is sealed under the master key with its
// address as associated data, so entries cannot be swapped. A wrong
// passphrase shows up as an authentication failure of the master key.
//
// Like bitcoind's keypool, the wallet pre-generates encrypted keys while it
// is unlocked, so NewAddress can hand out fresh addresses while it is locked.
// Unlock is always time-bounded; when it expires the decrypted master key is
// zeroed.
//
// Every write goes to a temporary file that is fsynced and renamed over the
// old one, so a crash leaves either the old or the new keystore. The file is
// owned by one process at a time; a Wallet is safe for concurrent use.
package wallet
