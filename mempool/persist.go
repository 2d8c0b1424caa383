package mempool

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/google/renameio/v2"
)

// The pool file (bitcoind's mempool.dat): magic, u32 count, then per tx
// i64 Unix seconds it entered the pool, u32 length, encoded tx.
var poolFileMagic = []byte("CAIRNMP1")

// maxPoolFileTxs bounds a pool file's claimed count before anything is
// allocated for it.
const maxPoolFileTxs = 1 << 20

// Save writes every pool tx to path atomically, so a clean shutdown loses
// nothing the node had accepted.
func (p *Pool) Save(path string) error {
	p.mu.RLock()
	es := make([]*entry, 0, len(p.all))
	for _, e := range p.all {
		es = append(es, e)
	}
	p.mu.RUnlock()
	var buf bytes.Buffer
	buf.Write(poolFileMagic)
	buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(es))))
	for _, e := range es {
		raw := e.tx.Encode()
		buf.Write(binary.BigEndian.AppendUint64(nil, uint64(e.added.Unix())))
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(raw))))
		buf.Write(raw)
	}
	if err := renameio.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("mempool: save %s: %w", path, err)
	}
	return nil
}

// LoadResult says what Load did with a pool file.
type LoadResult struct {
	Read, Accepted, Expired, Refused int
}

// Load re-validates the txs of a pool file written by Save against the
// current tip, in nonce order, skipping those older than Config.Expiry. A
// missing file is not an error. A damaged file is refused as a whole with
// a clear error and nothing added.
func (p *Pool) Load(path string) (LoadResult, error) {
	var res LoadResult
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("mempool: load: %w", err)
	}
	defer f.Close()
	type saved struct {
		tx    *consensus.Tx
		added time.Time
	}
	r := bufio.NewReader(f)
	magic := make([]byte, len(poolFileMagic))
	var count uint32
	if _, err := io.ReadFull(r, magic); err != nil || !bytes.Equal(magic, poolFileMagic) {
		return res, fmt.Errorf("mempool: %s is not a cairn pool file", path)
	}
	if err := binary.Read(r, binary.BigEndian, &count); err != nil || count > maxPoolFileTxs {
		return res, fmt.Errorf("mempool: %s: bad tx count", path)
	}
	txs := make([]saved, 0, min(count, 4096))
	for i := uint32(0); i < count; i++ {
		var hdr struct {
			Added int64
			Len   uint32
		}
		if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
			return res, fmt.Errorf("mempool: %s: tx %d: %w", path, i, err)
		}
		if hdr.Len > consensus.MaxTxSize {
			return res, fmt.Errorf("mempool: %s: tx %d claims %d bytes", path, i, hdr.Len)
		}
		raw := make([]byte, hdr.Len)
		if _, err := io.ReadFull(r, raw); err != nil {
			return res, fmt.Errorf("mempool: %s: tx %d: %w", path, i, err)
		}
		tx, err := consensus.DecodeTx(raw)
		if err != nil {
			return res, fmt.Errorf("mempool: %s: tx %d: %w", path, i, err)
		}
		txs = append(txs, saved{tx, time.Unix(hdr.Added, 0)})
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return res, fmt.Errorf("mempool: %s: trailing data", path)
	}
	res.Read = len(txs)
	slices.SortFunc(txs, func(a, b saved) int { return cmp.Compare(a.tx.Nonce, b.tx.Nonce) })
	cutoff := p.cfg.Now().Add(-p.cfg.Expiry)
	for _, s := range txs {
		if s.added.Before(cutoff) {
			res.Expired++
			continue
		}
		if _, err := p.Add(s.tx); err != nil {
			res.Refused++ // mined meanwhile, replaced, or no longer valid
			continue
		}
		res.Accepted++
	}
	return res, nil
}
