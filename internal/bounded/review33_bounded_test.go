package bounded

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

var errTooLarge = errors.New("too large")

// TestReview33BoundedLimit: an answer of exactly the limit reads whole
// and ends cleanly, one byte more fails with the caller's error (and keeps
// failing), whatever sizes the reader hands out and whether it returns
// its last bytes with io.EOF.
func TestReview33BoundedLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		size   int
		limit  int64
		wrap   func(io.Reader) io.Reader
		tooBig bool
	}{
		{"empty, limit 0", 0, 0, nil, false},
		{"one byte, limit 0", 1, 0, nil, true},
		{"exact", 10, 10, nil, false},
		{"exact, data with EOF", 10, 10, iotest.DataErrReader, false},
		{"exact, one byte at a time", 10, 10, iotest.OneByteReader, false},
		{"one over", 11, 10, nil, true},
		{"one over, data with EOF", 11, 10, iotest.DataErrReader, true},
		{"one over, one byte at a time", 11, 10, iotest.OneByteReader, true},
		{"negative limit", 0, -1, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r io.Reader = strings.NewReader(strings.Repeat("x", tc.size))
			if tc.wrap != nil {
				r = tc.wrap(r)
			}
			b := Body(io.NopCloser(r), tc.limit, errTooLarge)
			got, err := io.ReadAll(b)
			if tc.tooBig {
				if !errors.Is(err, errTooLarge) {
					t.Fatalf("ReadAll = %d bytes, %v; want errTooLarge", len(got), err)
				}
				if _, err := b.Read(make([]byte, 8)); !errors.Is(err, errTooLarge) {
					t.Fatalf("read after the limit: %v", err)
				}
				return
			}
			if err != nil || len(got) != tc.size {
				t.Fatalf("ReadAll = %d bytes, %v; want %d", len(got), err, tc.size)
			}
		})
	}
}

// TestReview33BoundedReadError: a read error below the limit reaches the
// caller with the bytes read alongside it, never replaced by success.
func TestReview33BoundedReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))
	got, err := io.ReadAll(Body(io.NopCloser(r), 10, errTooLarge))
	if !errors.Is(err, boom) || string(got) != "abc" {
		t.Fatalf("ReadAll = %q, %v; want \"abc\", the read error", got, err)
	}
}
