package image_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// TestAuditEveryImageVerdict: a verified image, the same verdict from the
// cache, an image nobody trusted signed, and a reference the registry
// does not hold each leave one event with the right outcome.
func TestAuditEveryImageVerdict(t *testing.T) {
	t.Parallel()
	alice, mallory := ocitest.NewSigner("alice"), ocitest.NewSigner("mallory")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	good := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	bad := ocitest.PushImage(t, reg.Ref(t, "app:v2"), 2)
	for img, s := range map[name.Digest]ocitest.Signer{good: alice, bad: mallory} {
		if _, err := attach.Bundle(t.Context(), img, s.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
			t.Fatal(err)
		}
	}
	rec := audittest.NewRecorder()
	v, err := image.NewVerifier(newTestVerifier(alice), opts(nil, image.WithAudit(rec, "gate-1"))...)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []name.Digest{good, good, bad} {
		if _, err := v.VerifyImage(t.Context(), ref); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.VerifyImage(t.Context(), reg.Ref(t, "missing:v1")); err == nil {
		t.Fatal("missing image verified")
	}
	evs := rec.Events()
	want := []struct {
		outcome  audit.Outcome
		resource string
		cached   string
	}{
		{audit.OutcomeSuccess, good.String(), "false"},
		{audit.OutcomeSuccess, good.String(), "true"},
		{audit.OutcomeFailure, bad.String(), "false"},
		{audit.OutcomeError, reg.Ref(t, "missing:v1").String(), ""},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d", len(evs), len(want))
	}
	for i, w := range want {
		ev := evs[i]
		if err := ev.Validate(); err != nil {
			t.Errorf("event %d invalid: %v", i, err)
		}
		if ev.Action != "verify.image" || ev.Outcome != w.outcome || ev.Resource != w.resource ||
			ev.Attributes["cached"] != w.cached || ev.Actor.ID != "gate-1" {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
	if evs[0].Attributes["target.0.signers"] != "alice" {
		t.Errorf("verified event signers = %q", evs[0].Attributes["target.0.signers"])
	}
	if evs[2].Reason == "" || evs[3].Reason == "" {
		t.Error("failure and error events need a reason")
	}
}

// TestAuditRefusedMeansNoVerdict: a verified image whose event the sink
// refuses is not returned as verified.
func TestAuditRefusedMeansNoVerdict(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	rec.Fail(errors.New("sink down"))
	v, err := image.NewVerifier(newTestVerifier(alice), opts(nil, image.WithAudit(rec, "gate-1"))...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyImage(t.Context(), img)
	if !errors.Is(err, image.ErrUnaudited) || res != nil || !strings.Contains(err.Error(), "sink down") {
		t.Fatalf("got %+v, %v; want ErrUnaudited and no result", res, err)
	}
	for name, opt := range map[string]image.Option{
		"nil sink": image.WithAudit(nil, "gate-1"), "no name": image.WithAudit(rec, ""),
	} {
		if _, err := image.NewVerifier(newTestVerifier(alice), opt); !errors.Is(err, image.ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
	}
}
