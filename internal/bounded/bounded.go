// Package bounded reads a server's answer up to a limit and fails past it:
// an answer longer than a client accepts is an error, never a truncated
// value that parses as something shorter.
package bounded

import "io"

// Body returns rc reading at most limit bytes: a read past them fails with
// tooLarge (and keeps failing). Close closes rc.
func Body(rc io.ReadCloser, limit int64, tooLarge error) io.ReadCloser {
	return &body{rc: rc, left: limit, err: tooLarge}
}

type body struct {
	rc   io.ReadCloser
	left int64
	err  error
}

// Read reads one byte more than is left, so that an answer of exactly the
// limit ends cleanly and a longer one is seen.
func (b *body) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	if int64(len(p))-1 > b.left { // not left+1: a limit of MaxInt64 overflows it
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, b.err
	}
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
