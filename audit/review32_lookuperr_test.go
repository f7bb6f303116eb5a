package audit

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReview32LookupErrorBounded: Log.Lookup and Verifier.VerifyEvent
// quote the event id they were given, which is often a requester's (a
// proof served by id), and Lookup lists the entries sharing an id, which
// whoever chooses event ids can make as long as the log: both are
// clipped, and no control character of the id reaches the error.
func TestReview32LookupErrorBounded(t *testing.T) {
	t.Parallel()
	l := openTest(t, filepath.Join(t.TempDir(), "audit.log"), WithoutSyncUnsafe())
	dup := testEvent(1)
	dup.ID = strings.Repeat("\x1b[2J", 64)
	for i := range 400 {
		dup.Time = testT0.Add(time.Duration(i) * time.Millisecond)
		if _, err := l.Append(t.Context(), dup); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Append(t.Context(), testEvent(2)); err != nil {
		t.Fatal(err)
	}
	p, err := l.Prove(t.Context(), testEvent(2).ID)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("\x1b]0;pwned\x07", 10000)
	for _, tc := range []struct {
		name string
		want error
		call func() error
	}{
		{"not found", ErrEventNotFound, func() error { _, err := l.Lookup(t.Context(), long); return err }},
		{"duplicate", ErrDuplicateEvent, func() error { _, err := l.Lookup(t.Context(), dup.ID); return err }},
		{"other event", ErrEventNotFound, func() error { _, err := l.Verifier().VerifyEvent(p, long); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if msg := err.Error(); len(msg) > 1024 || strings.ContainsAny(msg, "\x1b\x07") {
				t.Fatalf("error of %d bytes, or with control characters: %.200q", len(msg), msg)
			}
		})
	}
}
