package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func goldenEvent() Event {
	return Event{
		ID:      "01JDGQ4Z8X3M9K2V7T5R6N1P0A",
		Time:    time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		Source:  "ztci/policy",
		Action:  "policy.evaluate",
		Outcome: OutcomeDeny,
		Actor: Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/main", Kind: "job",
			Claims: map[string]string{"repository": "acme/app", "ref": "refs/heads/main", "actor": "octocat"}},
		Resource:       "oci://registry.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Reason:         "image is not signed by the release workflow <main>",
		PolicyRevision: "bundle-2026-11-20",
		Violations:     []string{"require_signature", "require_provenance"},
		Correlation:    Correlation{JobID: "build", RunID: "1234567", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"},
		Attributes:     map[string]string{"z": "last", "a": "first"},
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	e := goldenEvent()
	ce, err := ToCloudEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	ceJSON, err := json.Marshal(ce)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		got        func() ([]byte, error)
	}{
		{"event", "event.golden.json", func() ([]byte, error) { return Encode(e) }},
		{"cloudevent", "cloudevent.golden.json", func() ([]byte, error) { return ceJSON, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
				t.Errorf("stable JSON changed:\ngot  %s\nwant %s", got, want)
			}
		})
	}
	t.Run("roundtrip", func(t *testing.T) {
		t.Parallel()
		b, _ := Encode(e)
		d, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := Encode(d)
		if !bytes.Equal(b, b2) {
			t.Errorf("re-encoding differs:\n%s\n%s", b, b2)
		}
	})
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good, _ := Encode(goldenEvent())
	tests := []struct {
		name  string
		input string
		field string
	}{
		{"not json", "{", ""},
		{"unknown field", `{"id":"x","bogus":1}`, ""},
		{"trailing data", string(good) + `{}`, ""},
		{"missing id", `{"time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x"}}`, "id"},
		{"missing actor", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{}}`, "actor.id"},
		{"bad outcome", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"maybe","actor":{"id":"x"}}`, "outcome"},
		{"too large", `"` + string(bytes.Repeat([]byte("a"), MaxEventSize)) + `"`, "(event)"},
		// Duplicate or differently-cased members: another JSON parser
		// (first wins, or exact names) would read another event.
		{"duplicate member", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"deny","outcome":"allow","actor":{"id":"x"}}`, ""},
		{"duplicate escaped member", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"deny","\u006futcome":"allow","actor":{"id":"x"}}`, ""},
		{"duplicate actor id", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x","id":"y"}}`, ""},
		{"duplicate attribute", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x"},"attributes":{"k":"a","k":"b"}}`, ""},
		{"duplicate claim", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x","claims":{"k":"a","k":"b"}}}`, ""},
		{"member in other case", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","Outcome":"allow","actor":{"id":"x"}}`, ""},
		{"actor member in other case", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"ID":"x"}}`, ""},
		{"correlation member in other case", `{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x"},"correlation":{"Job_ID":"j"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.input))
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Decode: got %v, want ErrInvalidEvent", err)
			}
			var fe *FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("got %v, want FieldError on %s", err, tt.field)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(goldenEvent())
	f.Add(good)
	f.Add([]byte(`{"id":"i","time":"2026-01-01T00:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error outside hierarchy: %v", err)
			}
			return
		}
		b, err := Encode(e)
		if err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
		e2, err := Decode(b)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if b2, _ := Encode(e2); !bytes.Equal(b, b2) {
			t.Fatalf("encoding not stable:\n%s\n%s", b, b2)
		}
	})
}
