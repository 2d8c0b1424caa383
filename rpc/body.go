package rpc

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/cairn-chain/cairn/consensus"
)

// Body limits. A request body is read in full, bounded, before the request
// takes one of the MaxConcurrent work slots, so a client that sends its body
// slowly holds only an admission slot and the bytes it has actually sent.
const (
	// bodyMargin is room for the JSON around a maximum-size block's hex.
	bodyMargin = 16 << 10
	// smallBody is what a body may hold without reserving from the shared
	// byte budget: admission slots alone bound these (bodies that exceed it
	// reserve the whole limit or their Content-Length).
	smallBody = 64 << 10

	DefaultMaxBodyReads = 128
	DefaultBodyTimeout  = 5 * time.Second
	DefaultMinBodyRate  = 64 << 10 // bytes per second
)

// DefaultMaxBody is the body limit for a network: a maximum-size block in
// hex (submitblock) plus a small margin for the JSON around it.
func DefaultMaxBody(p *consensus.Params) int64 {
	return 2*int64(p.MaxBlockSize) + bodyMargin
}

// bodyError is a refusal while admitting or reading a body, with the HTTP
// status it is answered with.
type bodyError struct {
	status int
	err    *Error
}

func busy(what string) *bodyError {
	return &bodyError{http.StatusServiceUnavailable, newError(CodeInternal, "server busy: %s, retry later", what)}
}

// admit takes an admission slot, waiting up to busyWait. The slot is held
// while the body is read and until a work slot is free, so bodies waiting
// in memory are bounded too.
func (s *Server) admit(ctx context.Context) bool {
	return acquireSlot(ctx, s.admission, s.busyWait)
}

// readBody reads r's body under the body limits. release returns the
// body's share of the byte budget and must be called (even on error) once
// the body is no longer used.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), berr *bodyError) {
	var reserved int64
	release = func() {
		if reserved > 0 {
			s.bodyBytes.Release(reserved)
			reserved = 0
		}
	}
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, release, tooLarge(limit)
	}
	reserve := func(n int64) *bodyError {
		ctx, cancel := context.WithTimeout(r.Context(), s.busyWait)
		defer cancel()
		if err := s.bodyBytes.Acquire(ctx, n); err != nil {
			return busy("too many large request bodies in memory")
		}
		reserved += n
		return nil
	}
	rc := http.NewResponseController(w)
	start := time.Now()
	rr := &rateReader{r: r.Body, rc: rc, start: start, grace: s.cfg.BodyTimeout, rate: s.cfg.MinBodyRate,
		last: start.Add(s.cfg.ReadTimeout)}
	// The handler is bounded by WriteTimeout; no read deadline after the body.
	defer rc.SetReadDeadline(time.Time{})

	if n := r.ContentLength; n >= 0 {
		if n > smallBody {
			if e := reserve(n); e != nil {
				return nil, release, e
			}
		}
		body = make([]byte, n) // pre-sized: no repeated growth
		if _, err := io.ReadFull(rr, body); err != nil {
			return nil, release, s.readError(err)
		}
		return body, release, nil
	}
	// No Content-Length (chunked): read a small body freely; past that,
	// reserve the whole limit.
	body = make([]byte, 0, 4<<10)
	for {
		if len(body) == cap(body) {
			if len(body) >= smallBody && reserved == 0 {
				if e := reserve(limit); e != nil {
					return nil, release, e
				}
			}
			// Double, but never past limit+1 (one byte over tells "too large").
			body = slices.Grow(body, min(cap(body), int(limit)+1-len(body)))
		}
		n, err := rr.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if int64(len(body)) > limit {
			return nil, release, tooLarge(limit)
		}
		if errors.Is(err, io.EOF) {
			return body, release, nil
		}
		if err != nil {
			return nil, release, s.readError(err)
		}
	}
}

func tooLarge(limit int64) *bodyError {
	return &bodyError{http.StatusRequestEntityTooLarge, newError(CodeInvalidRequest, "invalid request: body exceeds %d bytes", limit)}
}

func (s *Server) readError(err error) *bodyError {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &bodyError{http.StatusRequestTimeout, newError(CodeInvalidRequest,
			"request timeout: the body must arrive within %s plus 1 s per %d bytes", s.cfg.BodyTimeout, s.cfg.MinBodyRate)}
	}
	return &bodyError{http.StatusBadRequest, newError(CodeInvalidRequest, "invalid request: read body: %v", err)}
}

// rateReader enforces a minimum transfer rate: before each read it sets the
// connection's read deadline so that, grace after start, the client must
// have sent rate bytes per second. A client trickling its body is cut off
// after about grace, holding only what it sent.
type rateReader struct {
	r     io.Reader
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	last  time.Time // the server's read timeout still applies
	n     int64
}

func (rr *rateReader) Read(p []byte) (int, error) {
	dl := rr.start.Add(rr.grace + time.Duration(float64(rr.n)/float64(rr.rate)*float64(time.Second)))
	if dl.After(rr.last) {
		dl = rr.last
	}
	// Not every connection supports deadlines (e.g. HTTP/2 test servers);
	// the server's ReadTimeout still bounds those.
	_ = rr.rc.SetReadDeadline(dl)
	n, err := rr.r.Read(p)
	rr.n += int64(n)
	return n, err
}

// acquireSlot takes a slot of sem, waiting up to wait.
func acquireSlot(ctx context.Context, sem chan struct{}, wait time.Duration) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}
