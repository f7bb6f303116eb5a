package verify_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/verify"
)

// TestAuditEveryVerification: each Verify leaves one event — success with
// the signer, failure with its category, a cache hit marked as such — and
// none carries the bundle.
func TestAuditEveryVerification(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	rec := audittest.NewRecorder()
	opts := append(privateOpts, verify.WithResultCache(8), verify.WithAudit(rec, "gate-1"), verify.WithTrustRevision("sha256:abc"))
	v, err := verify.New(e.trust, rtExpectation(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes([]byte("other"))); !errors.Is(err, verify.ErrArtifactMismatch) {
		t.Fatalf("want ErrArtifactMismatch, got %v", err)
	}
	evs := rec.Events()
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	for i, want := range []struct {
		outcome audit.Outcome
		cached  string
	}{{audit.OutcomeSuccess, "false"}, {audit.OutcomeSuccess, "true"}, {audit.OutcomeFailure, ""}} {
		ev := evs[i]
		if err := ev.Validate(); err != nil {
			t.Errorf("event %d invalid: %v", i, err)
		}
		if ev.Action != "verify.bundle" || ev.Outcome != want.outcome || ev.Attributes["cached"] != want.cached ||
			ev.Actor.ID != "gate-1" || ev.Attributes["trust_revision"] != "sha256:abc" || !strings.HasPrefix(ev.Resource, "sha256:") {
			t.Errorf("event %d = %+v", i, ev)
		}
		if strings.Contains(ev.Reason+strings.Join(slices.Collect(maps.Values(ev.Attributes)), " "), string(b[:64])) {
			t.Errorf("event %d carries bundle content", i)
		}
	}
	if evs[0].Attributes["signer"] == "" || evs[0].Attributes["predicate_type"] == "" {
		t.Errorf("success event lacks signer or predicate type: %+v", evs[0].Attributes)
	}
	if evs[2].Attributes["category"] != "artifact_mismatch" || evs[2].Reason == "" {
		t.Errorf("failure event = %+v", evs[2])
	}
}

// TestAuditFailureFailsVerification: a verification the sink refuses does
// not count, even for a good bundle.
func TestAuditFailureFailsVerification(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	rec := audittest.NewRecorder()
	rec.Fail(errors.New("sink down"))
	v, err := verify.New(e.trust, rtExpectation(), append(privateOpts, verify.WithAudit(rec, "gate-1"))...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
	if !errors.Is(err, verify.ErrAudit) || !errors.Is(err, verify.ErrVerification) || res != nil {
		t.Fatalf("got %v, %v; want ErrAudit and no result", res, err)
	}
}

func TestAuditOptions(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	for name, opt := range map[string]verify.Option{
		"nil sink":                   verify.WithAudit(nil, "gate-1"),
		"no verifier name":           verify.WithAudit(audittest.NewRecorder(), ""),
		"empty revision":             verify.WithTrustRevision(""),
		"revision without WithAudit": verify.WithTrustRevision("sha256:abc"),
	} {
		if _, err := verify.New(e.trust, rtExpectation(), append(privateOpts, opt)...); !errors.Is(err, verify.ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
	}
}
