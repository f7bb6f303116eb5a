package oci

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readAll returns what io.ReadAll returns whatever the hint: exact, too
// small, too large or unknown, and through readers that return data and
// EOF together, one byte at a time, or fail part way.
func TestReadAllMatchesReadAll(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 300) // 4800 bytes
	readers := map[string]func() io.Reader{
		"plain":    func() io.Reader { return bytes.NewReader(body) },
		"one-byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) },
		"data-eof": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(body)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(body)) },
	}
	for name, r := range readers {
		for _, hint := range []int64{-1, 0, 1, 4799, 4800, 4801, 1 << 20} {
			got, err := readAll(r(), hint)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s, hint %d: %d bytes, %v", name, hint, len(got), err)
			}
		}
	}
	boom := errors.New("boom")
	got, err := readAll(io.MultiReader(bytes.NewReader(body[:100]), iotest.ErrReader(boom)), 4800)
	if !errors.Is(err, boom) || !bytes.Equal(got, body[:100]) {
		t.Errorf("failing reader: %d bytes, %v", len(got), err)
	}
}

// A declared length is read into one allocation.
func TestReadAllOneAllocation(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 10_000)
	r := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(body)
		if _, err := readAll(r, int64(len(body))); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations, want 1", allocs)
	}
}
