package consensus

// Stage 3: applying a block to account state. The caller loads every account
// the block touches into a map (absent accounts are zero) and this code
// mutates the map. On error the map is partially updated and must be dropped.

// Account is an address's state.
type Account struct {
	Balance uint64
	Nonce   uint64
}

// Accounts is the slice of state a block or tx is applied to.
type Accounts map[Address]Account

// TouchedAddresses lists every address b reads or writes, for preloading.
func TouchedAddresses(b *Block) []Address {
	return TouchedAddressesFrom(b, BlockSenders(b))
}

// BlockSenders returns each tx's sender (the zero address for a coinbase),
// so callers that need the senders several times hash each key once.
func BlockSenders(b *Block) []Address {
	out := make([]Address, len(b.Txs))
	for i, tx := range b.Txs {
		if tx.Kind == TxTransfer {
			out[i] = tx.Sender()
		}
	}
	return out
}

// TouchedAddressesFrom is TouchedAddresses given senders = BlockSenders(b).
func TouchedAddressesFrom(b *Block, senders []Address) []Address {
	seen := make(map[Address]struct{}, 2*len(b.Txs))
	out := make([]Address, 0, 2*len(b.Txs))
	add := func(a Address) {
		if _, ok := seen[a]; !ok {
			seen[a] = struct{}{}
			out = append(out, a)
		}
	}
	for i, tx := range b.Txs {
		if tx.Kind == TxTransfer {
			add(senders[i])
		}
		add(tx.To)
	}
	return out
}

// ApplyTx applies one transfer: nonce must equal the account nonce, the
// balance must cover amount + fee, and no balance may overflow.
func ApplyTx(st Accounts, tx *Tx) error {
	from := tx.Sender()
	return applyTransfer(st, from, tx)
}

func applyTransfer(st Accounts, from Address, tx *Tx) error {
	src := st[from]
	if tx.Nonce != src.Nonce {
		return ruleErr(ErrBadNonce, "nonce %d, account %x expects %d", tx.Nonce, from, src.Nonce)
	}
	cost := tx.Amount + tx.Fee
	if cost < tx.Amount {
		return ruleErr(ErrOverflow, "amount + fee overflows")
	}
	if src.Balance < cost {
		return ruleErr(ErrInsufficientFunds, "balance %d < amount %d + fee %d", src.Balance, tx.Amount, tx.Fee)
	}
	src.Balance -= cost
	src.Nonce++
	st[from] = src
	dst := st[tx.To]
	if dst.Balance+tx.Amount < dst.Balance {
		return ruleErr(ErrOverflow, "recipient balance overflows")
	}
	dst.Balance += tx.Amount
	st[tx.To] = dst
	return nil
}

// ApplyBlock applies every tx of a sanity-checked block at height and pays
// the coinbase, which must equal subsidy + fees exactly. It returns the fees.
func ApplyBlock(st Accounts, b *Block, height uint64, p *Params) (uint64, error) {
	return ApplyBlockFrom(st, b, BlockSenders(b), height, p)
}

// ApplyBlockFrom is ApplyBlock given senders = BlockSenders(b).
func ApplyBlockFrom(st Accounts, b *Block, senders []Address, height uint64, p *Params) (uint64, error) {
	var fees uint64
	for i, tx := range b.Txs[1:] {
		if err := applyTransfer(st, senders[i+1], tx); err != nil {
			return 0, err
		}
		if fees+tx.Fee < fees {
			return 0, ruleErr(ErrOverflow, "block fees overflow")
		}
		fees += tx.Fee
	}
	reward := p.Subsidy(height)
	if reward+fees < reward {
		return 0, ruleErr(ErrOverflow, "subsidy + fees overflows")
	}
	reward += fees
	cb := b.Txs[0]
	if cb.Amount != reward {
		return 0, ruleErr(ErrBadCoinbaseValue, "coinbase pays %d, subsidy + fees is %d", cb.Amount, reward)
	}
	m := st[cb.To]
	if m.Balance+reward < m.Balance {
		return 0, ruleErr(ErrOverflow, "miner balance overflows")
	}
	m.Balance += reward
	st[cb.To] = m
	return fees, nil
}

// ApplyGenesis credits the genesis allocations.
func ApplyGenesis(st Accounts, p *Params) {
	for _, tx := range p.Genesis.Txs {
		if tx.Amount == 0 {
			continue
		}
		a := st[tx.To]
		a.Balance += tx.Amount // allocations were overflow-checked in CustomParams
		st[tx.To] = a
	}
}
