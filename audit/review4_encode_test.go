package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview4EncodeRefusesInvalidUTF8: the stable form replaces each byte
// that is not UTF-8 with U+FFFD, so two claim (or attribute) keys that
// differ only in such bytes were written as one member named twice: the
// log recorded an entry that Decode, ReadEntries and VerifyEvent refuse,
// and that readers keeping the first or the last member read differently.
// An identity spelt with such bytes was recorded as another one. Encode
// now refuses any string that is not UTF-8, naming the field only, and the
// log stays readable.
func TestReview4EncodeRefusesInvalidUTF8(t *testing.T) {
	t.Parallel()
	twoKeys := testEvent(1)
	twoKeys.Actor.Claims = map[string]string{"repo\xff": "acme/app", "repo\xfe": "evil/app"}
	tests := []struct {
		name  string
		field string
		edit  func(*Event)
	}{
		{"claim keys equal once replaced", "actor.claims", func(e *Event) { *e = twoKeys }},
		{"attribute key", "attributes", func(e *Event) { e.Attributes = map[string]string{"ip\xc0": "v"} }},
		{"attribute value", "attributes", func(e *Event) { e.Attributes = map[string]string{"ip": "10.0.0.1\xff"} }},
		{"actor id", "actor.id", func(e *Event) { e.Actor.ID = "spiffe://example.org/ci/job\xff" }},
		{"id", "id", func(e *Event) { e.ID = "evt\xed\xa0\x80" }}, // a surrogate, UTF-8-encoded
		{"resource", "resource", func(e *Event) { e.Resource = "secret:\xff" }},
		{"violation", "violations", func(e *Event) { e.Violations = []string{"ok", "rule\xff"} }},
		{"trace id", "correlation.trace_id", func(e *Event) { e.Correlation.TraceID = "\x80" }},
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	for i, tt := range tests {
		e := testEvent(i)
		tt.edit(&e)
		b, err := Encode(e)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: Encode = %s, %v; want a FieldError on %s", tt.name, b, err, tt.field)
			continue
		}
		if strings.Contains(err.Error(), "acme") || strings.ContainsRune(err.Error(), 0xfffd) || !isValidText(err.Error()) {
			t.Errorf("%s: error carries the value: %v", tt.name, err)
		}
		if _, err := l.Append(t.Context(), e); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: Append = %v, want ErrInvalidEvent", tt.name, err)
		}
		if _, err := ToCloudEvent(e); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: ToCloudEvent = %v, want ErrInvalidEvent", tt.name, err)
		}
	}
	// Valid text, whatever it holds, still encodes and reads back.
	ok := testEvent(99)
	ok.Actor.Claims = map[string]string{"Repo": "é€😀", "repo": "\ufffd", "\u2028": "\x00"}
	if _, err := l.Append(t.Context(), ok); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	if err := ReadEntries(t.Context(), bytes.NewReader(f), func(en Entry) error { got = append(got, en.Event); return nil }); err != nil {
		t.Fatalf("ReadEntries of the log: %v", err)
	}
	if len(got) != 1 || got[0].Actor.Claims["repo"] != "\ufffd" || got[0].Actor.Claims["\u2028"] != "\x00" {
		t.Fatalf("read back %+v", got)
	}
	if _, err := testVerifier(t).Log(t.Context(), bytes.NewReader(f)); err != nil {
		t.Fatal(err)
	}
}

func isValidText(s string) bool { return strings.ToValidUTF8(s, "") == s }

// FuzzReview4EncodeDecodes: whatever Encode accepts, Decode reads back as
// the same encoding, so the log never holds an entry its own readers
// refuse.
func FuzzReview4EncodeDecodes(f *testing.F) {
	f.Add("id", "actor", "k", "v", "k2", "v2")
	f.Add("id", "actor", "a\xff", "1", "a\xfe", "2")
	f.Add("id\x00", "\u2028", "A", "1", "a", "2")
	f.Fuzz(func(t *testing.T, id, actor, k1, v1, k2, v2 string) {
		e := testEvent(0)
		e.ID, e.Actor.ID = id, actor
		e.Actor.Claims = map[string]string{k1: v1, k2: v2}
		e.Attributes = map[string]string{k2: v1, k1: v2}
		b, err := Encode(e)
		if err != nil {
			return
		}
		d, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(e)) = %v for %s", err, b)
		}
		again, err := Encode(d)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip: %s, %v; want %s", again, err, b)
		}
	})
}
