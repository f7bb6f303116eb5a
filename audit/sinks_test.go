package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestJSONLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want func(t *testing.T, line []byte)
	}{
		{"event", nil, func(t *testing.T, line []byte) {
			if _, err := Decode(line); err != nil {
				t.Error(err)
			}
		}},
		{"cloudevents", []Option{WithCloudEvents()}, func(t *testing.T, line []byte) {
			var ce CloudEvent
			if err := json.Unmarshal(line, &ce); err != nil || ce.SpecVersion != "1.0" || ce.Type != CloudEventTypePrefix+"secrets.lease.issue" {
				t.Errorf("%+v %v", ce, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			s, err := NewJSONLines(&buf, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					if err := s.Write(t.Context(), testEvent(i)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
			if len(lines) != 50 {
				t.Fatalf("%d lines", len(lines))
			}
			for _, l := range lines {
				tt.want(t, l)
			}
		})
	}
	if _, err := NewJSONLines(&bytes.Buffer{}, WithCheckpointEvery(3)); err == nil {
		t.Error("log option accepted by NewJSONLines")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSinksReturnErrors(t *testing.T) {
	t.Parallel()
	broken, _ := NewJSONLines(failWriter{})
	var good bytes.Buffer
	ok, _ := NewJSONLines(&good)
	tests := []struct {
		name string
		sink Sink
		e    Event
		want error
	}{
		{"jsonl write error", broken, testEvent(1), ErrSink},
		{"jsonl invalid event", ok, Event{}, ErrInvalidEvent},
		{"fan-out one broken", FanOut(broken, ok), testEvent(2), ErrSink},
		{"slog invalid event", SlogSink(slog.New(slog.DiscardHandler)), Event{ID: "x"}, ErrInvalidEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the fan-out check below reads good.
			if err := tt.sink.Write(t.Context(), tt.e); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if !strings.Contains(good.String(), testEvent(2).ID) {
		t.Error("fan-out stopped at the broken sink")
	}
}

func TestSlogSink(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := SlogSink(slog.New(slog.NewJSONHandler(&buf, nil)))
	if err := s.Write(t.Context(), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "audit secrets.lease.issue" || rec["id"] != testEvent(1).ID {
		t.Errorf("record %v", rec)
	}
}

func TestHMAC(t *testing.T) {
	t.Parallel()
	const canaryKey = "CANARY-KEY-7f3a9c1e-0000-0000-0000-00000000"
	h, err := NewHMAC([]byte(canaryKey), FieldActorID, FieldAttributes+"client_ip", FieldActorClaims+"email")
	if err != nil {
		t.Fatal(err)
	}
	e := testEvent(1)
	e.Attributes = map[string]string{"client_ip": "203.0.113.7", "other": "kept"}
	e.Actor.Claims["email"] = "dev@example.com"
	out := h.Apply(e)
	if e.Attributes["client_ip"] != "203.0.113.7" || e.Actor.Claims["email"] != "dev@example.com" {
		t.Error("Apply modified its input")
	}
	if !strings.HasPrefix(out.Actor.ID, HMACPrefix) || out.Actor.ID != h.Sum(e.Actor.ID) {
		t.Errorf("actor id %q", out.Actor.ID)
	}
	if out.Attributes["other"] != "kept" || out.Attributes["client_ip"] != h.Sum("203.0.113.7") || out.Actor.Claims["email"] != h.Sum("dev@example.com") {
		t.Errorf("attributes %v claims %v", out.Attributes, out.Actor.Claims)
	}
	// Joinable: same input, same output.
	if h.Apply(e).Actor.ID != out.Actor.ID {
		t.Error("not deterministic")
	}
	// A value that looks sealed is hashed like any other: a prefix is not
	// a way past the HMAC.
	posing := e
	posing.Attributes = map[string]string{"client_ip": SealedPrefix + "203.0.113.7"}
	if got := h.Apply(posing).Attributes["client_ip"]; got != h.Sum(SealedPrefix+"203.0.113.7") {
		t.Errorf("a value beginning with the sealed prefix was not hashed: %q", got)
	}
	// The key never shows in any rendering of the HMAC value.
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("hmac", "h", h)
	j, _ := json.Marshal(h)
	for _, s := range []string{fmt.Sprint(h), fmt.Sprintf("%#v", h), fmt.Sprintf("%+v", h), string(j), logs.String()} {
		if strings.Contains(s, "CANARY") {
			t.Errorf("key leaked: %s", s)
		}
	}
	tests := []struct {
		name   string
		key    []byte
		fields []string
	}{
		{"short key", []byte("short"), []string{FieldActorID}},
		{"no fields", []byte(canaryKey), nil},
		{"unknown field", []byte(canaryKey), []string{"actor.name"}},
		{"map field without key", []byte(canaryKey), []string{FieldAttributes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewHMAC(tt.key, tt.fields...)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Error("key in error")
			}
		})
	}
	// Known answer, computed independently with
	// printf %s 'spiffe://example.org/ci/runner' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
	kat, _ := NewHMAC([]byte("0123456789abcdef0123456789abcdef"), FieldActorID)
	if got := kat.Sum("spiffe://example.org/ci/runner"); got != HMACPrefix+"5fa7b4ee55bce4f8073a51d4ecd35b081a23eae986cfd80ef05ade2eb7dc8b23" {
		t.Errorf("known answer: got %s", got)
	}
	var buf bytes.Buffer
	jl, _ := NewJSONLines(&buf)
	if err := h.Sink(jl).Write(context.Background(), e); err != nil || strings.Contains(buf.String(), "203.0.113.7") {
		t.Errorf("sink: %v %s", err, buf.String())
	}
}
