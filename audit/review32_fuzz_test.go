package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// review32AnchoredLog is a real log of 9 events with an adopted tail in
// it (a crash left entries 7 and 8 unsigned), and a checkpoint of its
// first 5 entries to anchor LogSince with.
func review32AnchoredLog(f *testing.F) (log []byte, anchor Checkpoint) {
	path := filepath.Join(f.TempDir(), "seed.log")
	ctx := context.Background()
	l, err := Open(ctx, path, testOrigin, testKey(1), WithCheckpointEvery(100), WithoutSyncUnsafe())
	if err != nil {
		f.Fatal(err)
	}
	for i := range 7 {
		if _, err := l.Append(ctx, testEvent(i)); err != nil {
			f.Fatal(err)
		}
		if i == 4 {
			if anchor, err = l.Checkpoint(ctx); err != nil {
				f.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	// Two entries after the last checkpoint, as a crash leaves them.
	for i := 7; i < 9; i++ {
		line, err := Encode(testEvent(i))
		if err != nil {
			f.Fatal(err)
		}
		b = appendEntryLine(b, uint64(i), line)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		f.Fatal(err)
	}
	if l, err = Open(ctx, path, testOrigin, testKey(1), WithoutSyncUnsafe()); err != nil {
		f.Fatal(err)
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	if log, err = os.ReadFile(path); err != nil {
		f.Fatal(err)
	}
	if rep, err := testVerifier(f).LogSince(ctx, bytes.NewReader(log), anchor); err != nil || rep.Adopted != 2 {
		f.Fatalf("seed log: %+v, %v; want 2 entries adopted", rep, err)
	}
	return log, anchor
}

// FuzzReview32LogSince fuzzes Verifier.LogSince, the scanner's anchored
// path (the anchor's root checked at its size, truncation below it) and
// the counting of adopted entries, none of which the other log targets
// reach. Properties: an error is a *LogError in the ErrInvalidLog
// hierarchy with an offset inside the input; a nil error means the log
// holds at least the anchor's entries, its first anchor.Size entries hash
// to the anchor's root, and no more entries were adopted than there are.
func FuzzReview32LogSince(f *testing.F) {
	seed, anchor := review32AnchoredLog(f)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add(seed[:bytes.LastIndex(seed[:len(seed)-1], []byte("\n"))+1])
	f.Add(bytes.Replace(seed, []byte("evt-00000003"), []byte("evt-0000000X"), 1))
	f.Add([]byte(headerPrefix + testOrigin + "\n"))
	v := testVerifier(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := v.LogSince(context.Background(), bytes.NewReader(data), anchor)
		if err != nil {
			var le *LogError
			if !errors.As(err, &le) || !errors.Is(err, ErrInvalidLog) {
				t.Fatalf("error not a *LogError in the hierarchy: %v", err)
			}
			if le.Offset < 0 || le.Offset > int64(len(data)) {
				t.Fatalf("offset %d out of range", le.Offset)
			}
			return
		}
		if rep.Entries < anchor.Size || rep.Adopted > rep.Entries {
			t.Fatalf("report %+v against an anchor of size %d", rep, anchor.Size)
		}
		var leaves [][]byte
		if err := ReadEntries(context.Background(), bytes.NewReader(data), func(e Entry) error {
			if uint64(len(leaves)) < anchor.Size {
				leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf(e.Raw))
			}
			return nil
		}); err != nil && !errors.Is(err, ErrCorruptEntry) {
			// A verified log may hold a signed entry that is no event
			// (only the key holder writes one); ReadEntries stops there.
			t.Fatalf("ReadEntries of a verified log: %v", err)
		}
		if uint64(len(leaves)) < anchor.Size {
			return // an entry before the anchor's size is no event
		}
		rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
		r := rf.NewEmptyRange(0)
		for _, h := range leaves {
			if err := r.Append(h, nil); err != nil {
				t.Fatal(err)
			}
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(root, anchor.Root) {
			t.Fatalf("verified a log whose first %d entries do not hash to the anchor's root", anchor.Size)
		}
	})
}

// FuzzReview32IDToken: for every event Encode accepts, the id token the
// log indexes (idToken of the stored line) is the id as Lookup spells it
// (appendJSONString), so Lookup finds every event by its id, whatever
// quotes, backslashes, control or line-separator characters it holds.
func FuzzReview32IDToken(f *testing.F) {
	for _, s := range []string{"evt-1", `a"b`, `a\b`, "a\x00b", "\u2028\u2029", `\"`, `\\"`, "é", "<&>", strings.Repeat(`\`, 9)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		e := testEvent(0)
		e.ID = id
		line, err := Encode(e)
		if err != nil {
			return
		}
		tok, ok := idToken(line)
		if !ok || !bytes.Equal(tok, appendJSONString(nil, id)) {
			t.Fatalf("id %q: token %q (ok %v), Lookup looks for %q", id, tok, ok, appendJSONString(nil, id))
		}
	})
}
