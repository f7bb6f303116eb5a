//go:build unix

package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
)

// review9LogBytes is a real log of n events, for seeds.
func review9LogBytes(f *testing.F, n int, opts ...Option) []byte {
	path := filepath.Join(f.TempDir(), "seed.log")
	l, err := Open(context.Background(), path, testOrigin, testKey(1), append([]Option{WithoutSyncUnsafe()}, opts...)...)
	if err != nil {
		f.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(context.Background(), testEvent(i)); err != nil {
			f.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzReview9OpenFirstLine opens whatever file lies at a log's path,
// Open's reading of the first line being new today (a torn first line
// must be a prefix of the header, or zeros). Properties:
//   - Open never panics, and refuses only with an error wrapping
//     ErrInvalidLog;
//   - a file Open refuses is left byte for byte as it was (Open never
//     truncates what is not its log);
//   - a file Open accepts without a complete line is a prefix of this
//     log's header or zero bytes; one with a complete line starts with the
//     header line of this log's origin;
//   - what Open accepts it keeps up to its last complete line, and the log
//     it leaves after an append and Close verifies.
func FuzzReview9OpenFirstLine(f *testing.F) {
	header := headerPrefix + testOrigin + "\n"
	full := review9LogBytes(f, 3, WithCheckpointEvery(2))
	for _, s := range [][]byte{
		full,
		full[:len(full)-5],
		full[:len(header)+10],
		[]byte(header),
		[]byte(header[:len(header)-1]),
		[]byte(header[:7]),
		make([]byte, 64),
		{},
		[]byte("\x00\x00z"),
		[]byte(headerPrefix + "example.com/other"),
		[]byte(headerPrefix + "example.com/other\n"),
		[]byte("-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIA"),
		[]byte(header + "not an entry"),
		[]byte("\n"),
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, strconv.FormatInt(n.Add(1), 10)+".log")
		defer os.Remove(path)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(context.Background(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
		if err != nil {
			if !errors.Is(err, ErrInvalidLog) {
				t.Fatalf("Open(%q) = %v, not ErrInvalidLog", data, err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Fatalf("refused %q but changed it to %q", data, got)
			}
			return
		}
		kept := data[:bytes.LastIndexByte(data, '\n')+1]
		if len(kept) == 0 {
			if len(bytes.Trim(data, "\x00")) != 0 && !bytes.HasPrefix([]byte(header), data) {
				l.Close()
				t.Fatalf("accepted %q as a torn header", data)
			}
		} else if !bytes.HasPrefix(kept, []byte(header)) {
			l.Close()
			t.Fatalf("accepted %q, whose first line is not the header %q", data, header)
		}
		if _, err := l.Append(context.Background(), testEvent(1000)); err != nil {
			l.Close()
			t.Fatalf("Append after Open(%q): %v", data, err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("Close after Open(%q): %v", data, err)
		}
		got, _ := os.ReadFile(path)
		if !bytes.HasPrefix(got, kept) {
			t.Fatalf("Open(%q) rewrote its complete lines: now %q", data, got)
		}
		if _, err := testVerifier(t).Log(context.Background(), bytes.NewReader(got)); err != nil {
			t.Fatalf("log left after Open(%q) does not verify: %v\n%q", data, err, got)
		}
	})
}
