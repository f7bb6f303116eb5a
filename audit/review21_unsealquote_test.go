package audit_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets/seal"
)

// review21Canary stands for a secret name or a terminal escape an actor
// wrote into an event that an operator opens with Unseal.
const review21Canary = "CANARY-review21\x1b]0;pwned\x07"

func review21Leaks(msg string) bool {
	return strings.Contains(msg, "CANARY") || strings.Contains(msg, "pwned") || strings.Contains(msg, "\x1b") || strings.Contains(msg, `\x1b`)
}

// review21Forge returns a sealed value whose record names the key id id:
// the header of a real record with its key id replaced.
func review21Forge(t *testing.T, real, id string) string {
	t.Helper()
	rec, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(real, audit.SealedPrefix))
	if err != nil {
		t.Fatal(err)
	}
	old := int(rec[3])
	forged := append([]byte{rec[0], rec[1], rec[2], byte(len(id))}, id...)
	forged = append(forged, rec[4+old:]...)
	return audit.SealedPrefix + base64.RawURLEncoding.EncodeToString(forged)
}

// TestReview21UnsealQuotesNothing: Unseal named a failing claim or
// attribute by its key, which is the event's text (an actor's choice), and
// passed on the Encrypter's error, which quotes the key id read from the
// record (also the actor's choice, in a value it made look sealed). Its
// errors name the field by kind and length and the failure by class.
func TestReview21UnsealQuotesNothing(t *testing.T) {
	t.Parallel()
	env := localEnvelope(t, genKey(t, "k1"))
	s := newSealer(t, env, sealedFields...)
	sealed, err := s.Apply(t.Context(), sealEvent("evt-21"))
	if err != nil {
		t.Fatal(err)
	}
	real := sealed.Attributes["client_ip"]

	for name, edit := range map[string]func(e *audit.Event){
		"attribute key":  func(e *audit.Event) { e.Attributes[review21Canary] = audit.SealedPrefix + "AAAA" },
		"claim key":      func(e *audit.Event) { e.Actor.Claims[review21Canary] = real },
		"record key id":  func(e *audit.Event) { e.Resource = review21Forge(t, real, review21Canary) },
		"record key id2": func(e *audit.Event) { e.Attributes["client_ip"] = review21Forge(t, real, review21Canary) },
	} {
		e := sealed
		e.Attributes = map[string]string{"client_ip": real}
		e.Actor.Claims = map[string]string{}
		e.Resource = sealed.Resource
		edit(&e)
		_, err := audit.Unseal(t.Context(), env, e)
		if !errors.Is(err, audit.ErrUnseal) || !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("%s: Unseal = %v, want ErrUnseal and seal.ErrOpen", name, err)
		}
		if review21Leaks(err.Error()) {
			t.Errorf("%s: Unseal error quotes the event: %q", name, err)
		}
	}

	// The class and the Encrypter's error stay reachable.
	e := sealed
	e.Resource = review21Forge(t, real, "k-other")
	_, err = s.Unseal(t.Context(), e)
	if !errors.Is(err, seal.ErrUnknownKey) || !strings.Contains(err.Error(), `"resource"`) {
		t.Errorf("Sealer.Unseal = %v, want ErrUnknownKey naming the configured field", err)
	}
}

// TestReview21ApplyQuotesNothing: Sealer.Apply quoted an event id it
// refused (one with NUL) in its error, which the audited action's caller
// logs.
func TestReview21ApplyQuotesNothing(t *testing.T) {
	t.Parallel()
	s := newSealer(t, localEnvelope(t, genKey(t, "k1")), sealedFields...)
	_, err := s.Apply(t.Context(), sealEvent(review21Canary+"\x00"))
	if !errors.Is(err, audit.ErrSeal) {
		t.Fatalf("Apply = %v, want ErrSeal", err)
	}
	if review21Leaks(err.Error()) {
		t.Errorf("Apply error quotes the id: %q", err)
	}
}
