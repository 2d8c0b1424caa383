// Package wallet keeps a node's private keys encrypted on disk and signs
// transfers with them.
//
// The keystore is one JSON file, <Dir>/wallet.json. A random 32-byte master
// key is sealed with XChaCha20-Poly1305 under a key that scrypt derives from
// the passphrase (at least MinPassphraseLen characters); every secret is
// sealed under the master key with associated data naming it (a key with
// its address, the seed with its purpose), so entries cannot be swapped. A
// wrong passphrase shows up as an authentication failure of the master key.
//
// HD wallets. CreateHD draws 256 bits of entropy, shows them once as a
// 24-word BIP-39 mnemonic (English list, empty BIP-39 passphrase) and
// stores only the 64-byte BIP-39 seed, sealed like a key. Keys follow
// BIP-32 on a path in the spirit of BIP-86, whose keys are x-only as a
// Cairn address is:
//
//	m/86'/<coin type>'/0'/0/<i>      receiving address i
//
// The coin type is CoinTypeMain (9632, not registered in SLIP-44) on the
// main network and 1 on every other network (test, regtest, custom), as
// Bitcoin does. An address commits to the x-only public key of the child
// key itself (no BIP-341 tweak, since a Cairn account has no script path).
// There is one account (0') and no change chain: an account-model transfer
// has no change. Restore rebuilds a wallet from the phrase: it derives
// addresses in order and asks the node's address index whether each was
// ever used, stopping after DefaultGapLimit unused ones in a row, as BIP-44
// wallets do (so hand out at most that many unused addresses in a row, or
// restore with a larger gap).
//
// Addresses while locked. The account's extended public key (xpub, at
// m/86'/<coin>'/0') is stored in clear, so NewAddress derives receiving
// addresses without the passphrase and never runs out; signing derives the
// private key from the sealed seed. The xpub reveals the account's future
// addresses (privacy, not funds: the file already lists the past ones in
// clear), and, as with any BIP-32 non-hardened chain, the xpub together
// with one exported child private key reveals the account's keys: treat
// dumped keys of an HD wallet as the whole wallet. The alternative, a pool
// of pre-derived keys as for random-key wallets, runs dry while locked and
// buys nothing a locked file does not already give away.
//
// Wallets from before HD (random keys, file version 1) keep working, with
// bitcoind's keypool: the wallet pre-generates encrypted keys while it is
// unlocked so NewAddress can hand out fresh addresses while it is locked.
// Imported keys are sealed individually in either kind. Unlock is always
// time-bounded; when it expires the decrypted master key is zeroed.
//
// Every write (and Backup) goes to a temporary file that is fsynced and
// renamed over the old one, so a crash leaves either the old or the new
// keystore. The file is owned by one process at a time; a Wallet is safe
// for concurrent use.
package wallet
