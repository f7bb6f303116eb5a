package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/redact/redacttest"
	"github.com/ztci/ztci/secrets/seal"
)

// Field names sealed throughout these tests.
var sealedFields = []string{audit.FieldResource, audit.FieldReason, audit.FieldActorClaims + "email", audit.FieldAttributes + "client_ip"}

func sealEvent(id string) audit.Event {
	return audit.Event{
		ID:      id,
		Time:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Source:  "ztci/secrets",
		Action:  "secrets.lease.issue",
		Outcome: audit.OutcomeAllow,
		Actor: audit.Actor{ID: "spiffe://example.org/ci/runner", Kind: "workload",
			Claims: map[string]string{"email": "dev@example.com", "repository": "acme/app"}},
		Resource:   "secret:db-password",
		Reason:     "", // empty: must stay empty
		Attributes: map[string]string{"client_ip": "203.0.113.7", "other": "kept"},
	}
}

func localEnvelope(t testing.TB, keys ...seal.Key) *seal.Envelope {
	t.Helper()
	env, err := seal.NewLocal(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func genKey(t testing.TB, id string) seal.Key {
	t.Helper()
	k, err := seal.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSealer(t testing.TB, enc seal.Encrypter, fields ...string) *audit.Sealer {
	t.Helper()
	s, err := audit.NewSealer(enc, fields...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// record returns the seal record inside a sealed value.
func record(t testing.TB, v string) []byte {
	t.Helper()
	b, ok := strings.CutPrefix(v, audit.SealedPrefix)
	if !ok {
		t.Fatalf("%q is not sealed", v)
	}
	rec, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func sealedValue(rec []byte) string {
	return audit.SealedPrefix + base64.RawURLEncoding.EncodeToString(rec)
}

// wantUnsealErr checks that Unseal failed closed with the given class.
func wantUnsealErr(t *testing.T, got audit.Event, err, class error) {
	t.Helper()
	if !errors.Is(err, audit.ErrUnseal) || !errors.Is(err, seal.ErrOpen) || !errors.Is(err, class) {
		t.Fatalf("err = %v, want ErrUnseal, seal.ErrOpen and %v", err, class)
	}
	if !reflect.DeepEqual(got, audit.Event{}) {
		t.Fatalf("failed Unseal returned an event: %+v", got)
	}
}

func TestSealerRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env := localEnvelope(t, genKey(t, "k1"))
	s := newSealer(t, env, sealedFields...)
	in := sealEvent("evt-1")
	orig := sealEvent("evt-1")

	out, err := s.Apply(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Error("Apply modified its input")
	}
	for name, v := range map[string]string{"resource": out.Resource, "claims.email": out.Actor.Claims["email"], "attributes.client_ip": out.Attributes["client_ip"]} {
		if !strings.HasPrefix(v, audit.SealedPrefix) {
			t.Errorf("%s = %q, not sealed", name, v)
		}
	}
	if out.Reason != "" || out.Actor.ID != in.Actor.ID || out.Actor.Claims["repository"] != "acme/app" || out.Attributes["other"] != "kept" {
		t.Errorf("fields not configured (or empty) were changed: %+v", out)
	}
	again, _ := s.Apply(ctx, in)
	if again.Resource == out.Resource {
		t.Error("sealing the same value twice gave the same output; sealed values must be randomised")
	}
	// The sealed form survives the stable JSON encoding and strict decoding.
	enc, err := audit.Encode(out)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := audit.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.Unseal(ctx, env, dec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, orig) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, orig)
	}
	// Unseal of an event without sealed values returns it unchanged.
	if got, err := audit.Unseal(ctx, env, orig); err != nil || !reflect.DeepEqual(got, orig) {
		t.Errorf("Unseal of a plain event: %v %+v", err, got)
	}
}

func TestUnsealTampered(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env := localEnvelope(t, genKey(t, "k1"))
	sealed, err := newSealer(t, env, sealedFields...).Apply(ctx, sealEvent("evt-1"))
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, sealed.Resource)
	// Every byte of the record matters: header (magic, version, key id,
	// wrapped key), nonce, ciphertext, tag. The other sealed fields are
	// intact, and must not be returned either.
	for i := range rec {
		b := bytes.Clone(rec)
		b[i] ^= 0x01
		e := sealed
		e.Resource = sealedValue(b)
		got, err := audit.Unseal(ctx, env, e)
		wantUnsealErr(t, got, err, seal.ErrOpen)
		if !errors.Is(err, seal.ErrTampered) && !errors.Is(err, seal.ErrMalformed) && !errors.Is(err, seal.ErrUnknownKey) {
			t.Errorf("byte %d: %v is not classified", i, err)
		}
	}
	tests := []struct {
		name  string
		value string
		class error
	}{
		{"ciphertext flipped", sealedValue(append(bytes.Clone(rec[:len(rec)-1]), rec[len(rec)-1]^0x80)), seal.ErrTampered},
		{"truncated", sealedValue(rec[:len(rec)-1]), seal.ErrTampered},
		{"not base64url", audit.SealedPrefix + "!!!!", seal.ErrMalformed},
		{"standard base64 alphabet", audit.SealedPrefix + strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimPrefix(sealed.Resource, audit.SealedPrefix)) + "+/", seal.ErrMalformed},
		{"padded", sealed.Resource + "=", seal.ErrMalformed},
		{"line break", sealed.Resource[:20] + "\n" + sealed.Resource[20:], seal.ErrMalformed},
		{"empty record", audit.SealedPrefix, seal.ErrMalformed},
		{"not a record", sealedValue([]byte("plain text, not a seal record")), seal.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := sealed
			e.Resource = tt.value
			got, err := audit.Unseal(ctx, env, e)
			wantUnsealErr(t, got, err, tt.class)
		})
	}
}

func TestUnsealKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	k1, k2 := genKey(t, "k1"), genKey(t, "k2")
	old := localEnvelope(t, k1)
	sealed, err := newSealer(t, old, sealedFields...).Apply(ctx, sealEvent("evt-1"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wrong key under the same id", func(t *testing.T) {
		t.Parallel()
		got, err := audit.Unseal(ctx, localEnvelope(t, genKey(t, "k1")), sealed)
		wantUnsealErr(t, got, err, seal.ErrTampered)
	})
	t.Run("missing key", func(t *testing.T) {
		t.Parallel()
		got, err := audit.Unseal(ctx, localEnvelope(t, k2), sealed)
		wantUnsealErr(t, got, err, seal.ErrUnknownKey)
	})
	t.Run("rotated: new key first, old still opens", func(t *testing.T) {
		t.Parallel()
		rotated := localEnvelope(t, k2, k1)
		got, err := audit.Unseal(ctx, rotated, sealed)
		if err != nil || !reflect.DeepEqual(got, sealEvent("evt-1")) {
			t.Fatalf("old record under the rotated envelope: %v %+v", err, got)
		}
		fresh, err := newSealer(t, rotated, sealedFields...).Apply(ctx, sealEvent("evt-2"))
		if err != nil {
			t.Fatal(err)
		}
		if id, err := seal.KeyIDOf(record(t, fresh.Resource)); err != nil || id != "k2" {
			t.Errorf("new record under key %q (%v), want k2", id, err)
		}
		// Once k1 is dropped, records still under it are refused.
		got, err = audit.Unseal(ctx, localEnvelope(t, k2), sealed)
		wantUnsealErr(t, got, err, seal.ErrUnknownKey)
		if got, err := audit.Unseal(ctx, localEnvelope(t, k2), fresh); err != nil || got.Resource != "secret:db-password" {
			t.Errorf("new record under k2 alone: %v %q", err, got.Resource)
		}
	})
	t.Run("KMS cannot unwrap", func(t *testing.T) {
		t.Parallel()
		kms, err := seal.New(downKMS{id: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := audit.Unseal(ctx, kms, sealed)
		wantUnsealErr(t, got, err, seal.ErrUnwrap)
	})
}

// TestUnsealMoved: a sealed value copied to another field, or into another
// event, does not open.
func TestUnsealMoved(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env := localEnvelope(t, genKey(t, "k1"))
	s := newSealer(t, env, append(sealedFields, audit.FieldAttributes+"user_agent")...)
	src := sealEvent("evt-1")
	src.Attributes["user_agent"] = "curl/8.5"
	a, err := s.Apply(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Apply(ctx, sealEvent("evt-2"))
	if err != nil {
		t.Fatal(err)
	}
	cloneAttrs := func(e audit.Event) audit.Event {
		e.Attributes = map[string]string{"client_ip": e.Attributes["client_ip"], "user_agent": e.Attributes["user_agent"], "other": "kept"}
		e.Actor.Claims = map[string]string{"email": e.Actor.Claims["email"]}
		return e
	}
	tests := []struct {
		name string
		move func(e audit.Event) audit.Event
	}{
		{"resource to reason", func(e audit.Event) audit.Event { e.Reason = e.Resource; return e }},
		{"resource to actor.id", func(e audit.Event) audit.Event { e.Actor.ID = e.Resource; return e }},
		{"attribute to another attribute", func(e audit.Event) audit.Event {
			e = cloneAttrs(e)
			e.Attributes["client_ip"], e.Attributes["user_agent"] = e.Attributes["user_agent"], e.Attributes["client_ip"]
			return e
		}},
		{"claim to attribute of another name", func(e audit.Event) audit.Event {
			e = cloneAttrs(e)
			e.Attributes["email"] = e.Actor.Claims["email"]
			return e
		}},
		{"resource from another event", func(e audit.Event) audit.Event { e.Resource = b.Resource; return e }},
		{"whole event under another id", func(e audit.Event) audit.Event { e.ID = b.ID; return e }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := audit.Unseal(ctx, env, tt.move(a))
			wantUnsealErr(t, got, err, seal.ErrTampered)
		})
	}
	// A sealed value in a field that was not configured is still opened
	// when it is in its own place: moving fields is what is refused, not
	// the configuration.
	if got, err := audit.Unseal(ctx, env, a); err != nil || got.Attributes["user_agent"] != "curl/8.5" {
		t.Errorf("unchanged event: %v %+v", err, got)
	}
}

// downKMS stands in for a KMS that is unreachable: the local key cannot be
// made to fail, and an outage is what the fail-closed path is about.
type downKMS struct{ id string }

func (k downKMS) KeyID() string { return k.id }
func (downKMS) Wrap(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("kms: dial tcp 10.0.0.1:443: connection refused")
}
func (downKMS) Unwrap(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("kms: dial tcp 10.0.0.1:443: connection refused")
}

// TestSealerFailsClosed: when sealing fails, nothing reaches the next sink
// and the error says why without the value.
func TestSealerFailsClosed(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-plaintext-5e1d"
	kms, err := seal.New(downKMS{id: "kms-1"})
	if err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	e := sealEvent("evt-1")
	e.Resource = canary
	err = newSealer(t, kms, sealedFields...).Sink(rec).Write(t.Context(), e)
	if !errors.Is(err, audit.ErrSeal) || !errors.Is(err, audit.ErrSink) || !errors.Is(err, seal.ErrSeal) {
		t.Fatalf("KMS down: err = %v, want ErrSeal, ErrSink and seal.ErrSeal", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Errorf("error carries the plaintext: %v", err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Errorf("%d events written although sealing failed", n)
	}

	// The sealed values are bound to the event id: without one (or with a
	// NUL in it) nothing is sealed or written.
	s := newSealer(t, localEnvelope(t, genKey(t, "k1")), sealedFields...)
	for _, id := range []string{"", "evt\x00resource"} {
		e := sealEvent(id)
		e.Resource = canary
		err := s.Sink(rec).Write(t.Context(), e)
		var fe *audit.FieldError
		if !errors.Is(err, audit.ErrSeal) || !errors.Is(err, audit.ErrInvalidEvent) || !errors.As(err, &fe) || fe.Field != "id" {
			t.Errorf("id %q: err = %v, want ErrSeal and a FieldError on id", id, err)
		}
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("error carries the plaintext: %v", err)
		}
	}
	if n := len(rec.Events()); n != 0 {
		t.Errorf("%d events written without a usable id", n)
	}
}

// TestSealerCanary: the plaintext of a sealed field never appears in what
// the sinks after the Sealer write (JSON lines, slog, the Merkle log and its
// checkpoints), nor in the printed Sealer, while the key holder gets it back
// from the verified log.
func TestSealerCanary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const (
		canary    = "CANARY-plaintext-9b7c3e1f"
		keyCanary = "CANARY-key-material-0123456789ab" // 32 bytes
	)
	k, err := seal.NewKey("k1", []byte(keyCanary))
	if err != nil {
		t.Fatal(err)
	}
	env := localEnvelope(t, k)
	s := newSealer(t, env, sealedFields...)
	redacttest.Check(t, s, keyCanary, "")

	dir := t.TempDir()
	signer := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	const origin = "example.com/ztci/audit/test"
	log, err := audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, signer, audit.WithCheckpointEvery(2))
	if err != nil {
		t.Fatal(err)
	}
	var lines, slogs bytes.Buffer
	jl, _ := audit.NewJSONLines(&lines)
	logger := slog.New(slog.NewJSONHandler(&slogs, nil))
	sink := s.Sink(audit.FanOut(log, jl, audit.SlogSink(logger)))
	for i := range 3 {
		e := sealEvent(fmt.Sprintf("evt-%d", i))
		e.Resource, e.Reason = canary, canary
		e.Actor.Claims["email"], e.Attributes["client_ip"] = canary, canary
		if err := sink.Write(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	logger.Info("sealer", "sealer", s)
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"log file": string(file), "json lines": lines.String(), "slog": slogs.String(), "sealer": fmt.Sprintf("%v %+v %#v", s, s, s)} {
		for _, form := range []string{canary, keyCanary, base64.StdEncoding.EncodeToString([]byte(canary)), fmt.Sprintf("%x", canary)} {
			if strings.Contains(out, form) {
				t.Errorf("%s contains %q: %s", name, form, out)
			}
		}
	}
	if !strings.Contains(string(file), audit.SealedPrefix) {
		t.Error("log file holds no sealed value")
	}

	// The log verifies over the sealed form; the key holder reads it back.
	v, _ := audit.NewVerifier(origin, signer.Public().(ed25519.PublicKey))
	if _, err := v.Log(ctx, bytes.NewReader(file)); err != nil {
		t.Fatalf("log over sealed events: %v", err)
	}
	log, err = audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p, err := log.Prove(ctx, "evt-1")
	if err != nil {
		t.Fatal(err)
	}
	e, err := v.VerifyEvent(p, "evt-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.Unseal(ctx, env, e)
	if err != nil || got.Resource != canary || got.Reason != canary || got.Attributes["client_ip"] != canary || got.Actor.Claims["email"] != canary {
		t.Errorf("Unseal from the verified log: %v %+v", err, got)
	}
}

func TestProtect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env := localEnvelope(t, genKey(t, "k1"))
	h, err := audit.NewHMAC(bytes.Repeat([]byte("k"), audit.MinHMACKeySize), audit.FieldActorID, audit.FieldAttributes+"client_ip")
	if err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()

	// The same field hashed and sealed is refused, naming the field.
	_, err = audit.Protect(rec, h, newSealer(t, env, audit.FieldResource, audit.FieldAttributes+"client_ip"))
	if !errors.Is(err, audit.ErrConfig) || !strings.Contains(err.Error(), "attributes.client_ip") {
		t.Errorf("overlap: err = %v, want ErrConfig naming attributes.client_ip", err)
	}
	for name, args := range map[string]struct {
		next audit.Sink
		h    *audit.HMAC
		s    *audit.Sealer
	}{"nil next": {nil, h, nil}, "neither": {rec, nil, nil}} {
		if _, err := audit.Protect(args.next, args.h, args.s); !errors.Is(err, audit.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}

	s := newSealer(t, env, audit.FieldResource, audit.FieldActorClaims+"email")
	sink, err := audit.Protect(rec, h, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, sealEvent("evt-1")); err != nil {
		t.Fatal(err)
	}
	got := rec.Events()[0]
	if got.Actor.ID != h.Sum("spiffe://example.org/ci/runner") || got.Attributes["client_ip"] != h.Sum("203.0.113.7") {
		t.Errorf("hashed fields: %+v", got)
	}
	if !strings.HasPrefix(got.Resource, audit.SealedPrefix) || !strings.HasPrefix(got.Actor.Claims["email"], audit.SealedPrefix) {
		t.Errorf("sealed fields: %+v", got)
	}
	opened, err := audit.Unseal(ctx, env, got)
	if err != nil || opened.Resource != "secret:db-password" || opened.Actor.Claims["email"] != "dev@example.com" || opened.Actor.ID != got.Actor.ID {
		t.Errorf("Unseal after Protect: %v %+v", err, opened)
	}
	// One of the two alone is that one's Sink.
	for _, args := range []struct {
		h *audit.HMAC
		s *audit.Sealer
	}{{h, nil}, {nil, s}} {
		one, err := audit.Protect(rec, args.h, args.s)
		if err != nil {
			t.Fatal(err)
		}
		if err := one.Write(ctx, sealEvent("evt-2")); err != nil {
			t.Fatal(err)
		}
	}
	evs := rec.Events()
	if evs[1].Actor.ID != h.Sum("spiffe://example.org/ci/runner") || evs[1].Resource != "secret:db-password" {
		t.Errorf("HMAC alone: %+v", evs[1])
	}
	if evs[2].Actor.ID != "spiffe://example.org/ci/runner" || !strings.HasPrefix(evs[2].Resource, audit.SealedPrefix) {
		t.Errorf("Sealer alone: %+v", evs[2])
	}
}

func TestNewSealerConfig(t *testing.T) {
	t.Parallel()
	env := localEnvelope(t, genKey(t, "k1"))
	tests := []struct {
		name   string
		enc    seal.Encrypter
		fields []string
	}{
		{"nil encrypter", nil, []string{audit.FieldResource}},
		{"no fields", env, nil},
		{"unknown field", env, []string{"action"}},
		{"map field without key", env, []string{audit.FieldAttributes}},
		{"NUL in field name", env, []string{audit.FieldAttributes + "a\x00b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := audit.NewSealer(tt.enc, tt.fields...); !errors.Is(err, audit.ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := audit.Unseal(t.Context(), nil, sealEvent("evt-1")); !errors.Is(err, audit.ErrConfig) {
		t.Errorf("Unseal with nil Encrypter: %v", err)
	}
	if got := fmt.Sprint(newSealer(t, env, audit.FieldResource, audit.FieldAttributes+"ip")); got != "audit.Sealer{fields:[attributes.ip resource]}" {
		t.Errorf("String = %q", got)
	}
}

// FuzzUnseal feeds the "sealed:v1:" decoder arbitrary values. A value opens
// only if it is the canonical spelling of a record sealed for this event and
// field; anything else fails closed with a classified error and no event;
// values without the prefix pass through untouched.
func FuzzUnseal(f *testing.F) {
	key, err := seal.NewKey("k1", bytes.Repeat([]byte{1}, seal.KeySize))
	if err != nil {
		f.Fatal(err)
	}
	env := localEnvelope(f, key)
	const id, plain = "evt-1", "secret:db-password"
	valid, err := newSealer(f, env, audit.FieldResource).Apply(context.Background(), audit.Event{ID: id, Resource: plain})
	if err != nil {
		f.Fatal(err)
	}
	rec := record(f, valid.Resource)
	for _, seed := range []string{
		valid.Resource,
		valid.Resource + "A",
		valid.Resource + "=",
		valid.Resource[:len(valid.Resource)-1],
		sealedValue(rec[:10]),
		sealedValue([]byte{'Z', 'S', 1, 0}),
		sealedValue([]byte{'Z', 'S', 1, 255}),
		sealedValue([]byte{'Z', 'S', 1, 2, 'k', '1', 0xff, 0xff}),
		audit.SealedPrefix,
		audit.SealedPrefix + "\n",
		audit.SealedPrefix + "====",
		"sealed:v2:" + strings.TrimPrefix(valid.Resource, audit.SealedPrefix),
		"secret:db-password",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		e := audit.Event{ID: id, Resource: v}
		got, err := audit.Unseal(t.Context(), env, e)
		switch {
		case !strings.HasPrefix(v, audit.SealedPrefix):
			if err != nil || !reflect.DeepEqual(got, e) {
				t.Fatalf("plain value %q: %v %+v", v, err, got)
			}
		case err != nil:
			if !errors.Is(err, audit.ErrUnseal) || !errors.Is(err, seal.ErrOpen) || !reflect.DeepEqual(got, audit.Event{}) {
				t.Fatalf("%q: err = %v, event %+v", v, err, got)
			}
		case got.Resource != plain:
			t.Fatalf("%q opened to %q; only records sealed for this event and field may open", v, got.Resource)
		default:
			// Each fuzz worker seals its own record (seal is randomised),
			// so an opened value need not be this process's; it must be
			// the one spelling of a record.
			rec, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, audit.SealedPrefix))
			if sealedValue(rec) != v {
				t.Fatalf("%q opened but is not the canonical spelling of its record", v)
			}
		}
	})
}

// BenchmarkProtect measures sealing beside its peer, HMAC, on the same two
// fields of the same event in the same run.
func BenchmarkProtect(b *testing.B) {
	env := localEnvelope(b, genKey(b, "k1"))
	fields := []string{audit.FieldResource, audit.FieldAttributes + "client_ip"}
	h, err := audit.NewHMAC(bytes.Repeat([]byte("k"), audit.MinHMACKeySize), fields...)
	if err != nil {
		b.Fatal(err)
	}
	s := newSealer(b, env, fields...)
	discard := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	hs, _ := audit.Protect(discard, h, nil)
	ss, _ := audit.Protect(discard, nil, s)
	e := sealEvent("evt-1")
	for name, sink := range map[string]audit.Sink{"hmac": hs, "seal": ss} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := sink.Write(b.Context(), e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("unseal", func(b *testing.B) {
		sealed, err := s.Apply(b.Context(), e)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := audit.Unseal(b.Context(), env, sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
