package wire

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"
)

// Frames are a u32 big-endian length followed by that many bytes. Every read
// and write carries its own deadline so a stalled peer costs at most one
// timeout, and every read is bounded before any allocation.

// DeadlineReader is a stream we can read with a deadline.
type DeadlineReader interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

// DeadlineWriter is a stream we can write with a deadline.
type DeadlineWriter interface {
	io.Writer
	SetWriteDeadline(time.Time) error
}

// WriteFrame writes b as one frame within timeout.
func WriteFrame(w DeadlineWriter, b []byte, timeout time.Duration) error {
	if err := w.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	_, err := w.Write(b)
	return err
}

// ReadFrame reads one frame of at most max bytes within timeout.
func ReadFrame(r DeadlineReader, max int, timeout time.Duration) ([]byte, error) {
	return ReadFrameBy(r, max, time.Now().Add(timeout))
}

// ReadFrameBy reads one frame of at most max bytes before the deadline; a
// multi-frame response shares one deadline so a peer cannot drip-feed it.
func ReadFrameBy(r DeadlineReader, max int, deadline time.Time) ([]byte, error) {
	if err := r.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, Errorf("frame of %d bytes exceeds %d", n, max)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// IsTimeout reports whether err is a deadline expiry: a stall, not bad data.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// enc appends fixed-width big-endian fields.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)      { e.b = append(e.b, v) }
func (e *enc) u16(v uint16)    { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32)    { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64)    { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) raw(v []byte)    { e.b = append(e.b, v...) }
func (e *enc) str8(s string)   { e.u8(uint8(len(s))); e.raw([]byte(s)) }
func (e *enc) bytes() []byte   { return e.b }
func newEnc(size int) *enc     { return &enc{b: make([]byte, 0, size)} }
func (e *enc) hash(h [32]byte) { e.raw(h[:]) }

// dec reads fields; the first failure sticks so a message is checked once.
type dec struct {
	b   []byte
	off int
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.err = Errorf("message truncated at offset %d", d.off)
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *dec) u8() uint8 {
	if s := d.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (d *dec) u16() uint16 {
	if s := d.take(2); s != nil {
		return binary.BigEndian.Uint16(s)
	}
	return 0
}

func (d *dec) u32() uint32 {
	if s := d.take(4); s != nil {
		return binary.BigEndian.Uint32(s)
	}
	return 0
}

func (d *dec) u64() uint64 {
	if s := d.take(8); s != nil {
		return binary.BigEndian.Uint64(s)
	}
	return 0
}

func (d *dec) hash() (h [32]byte) {
	if s := d.take(32); s != nil {
		copy(h[:], s)
	}
	return h
}

func (d *dec) str8(max int) string {
	n := int(d.u8())
	if d.err == nil && n > max {
		d.err = Errorf("string of %d bytes exceeds %d", n, max)
		return ""
	}
	return string(d.take(n))
}

// done fails on trailing bytes: each message has exactly one encoding.
func (d *dec) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.err = Errorf("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
