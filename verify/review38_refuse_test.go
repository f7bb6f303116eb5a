package verify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/verify"
)

var errReview38 = errors.New("review38: the caller's check failed")

// TestReview38Refuse: a wrapper's refusal is audited once in Verify's
// shape (failure, category, clipped reason and resource), always denies
// (an error matching ErrVerification, even for nil or a foreign error),
// and fails with ErrAudit when the sink does not take the event.
func TestReview38Refuse(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	long := "sha256:" + strings.Repeat("\x1bA", 4000)
	tests := []struct {
		name     string
		artifact string
		err      error
		is       error
		category string
		resource string
	}{
		{name: "typed refusal", artifact: "sha256:abc", err: &verify.ArtifactMismatchError{Want: "sha256:abc", Got: "a sha384 digest"},
			is: verify.ErrArtifactMismatch, category: "artifact_mismatch", resource: "sha256:abc"},
		{name: "foreign error", artifact: "sha256:abc", err: errReview38, is: errReview38, category: "verification", resource: "sha256:abc"},
		{name: "nil error", artifact: "", err: nil, is: verify.ErrVerification, category: "verification", resource: "artifact:unreadable"},
		{name: "hostile artifact name", artifact: long, err: errReview38, is: errReview38, category: "verification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := audittest.NewRecorder()
			v, err := verify.New(e.trust, rtExpectation(), append(privateOpts, verify.WithAudit(rec, "gate-1"))...)
			if err != nil {
				t.Fatal(err)
			}
			err = v.Refuse(t.Context(), tc.artifact, tc.err)
			if !errors.Is(err, verify.ErrVerification) || !errors.Is(err, tc.is) {
				t.Fatalf("Refuse = %v; want ErrVerification and %v", err, tc.is)
			}
			evs := rec.Events()
			if len(evs) != 1 {
				t.Fatalf("got %d events, want 1", len(evs))
			}
			ev := evs[0]
			if err := ev.Validate(); err != nil {
				t.Errorf("event invalid: %v", err)
			}
			if ev.Outcome != audit.OutcomeFailure || ev.Action != "verify.bundle" || ev.Attributes["category"] != tc.category || ev.Reason == "" {
				t.Errorf("event = %+v", ev)
			}
			if tc.resource != "" && ev.Resource != tc.resource {
				t.Errorf("resource %q, want %q", ev.Resource, tc.resource)
			}
			if len(ev.Resource) > 1024 || strings.ContainsRune(ev.Resource, '\x1b') {
				t.Errorf("resource not clipped: %d bytes", len(ev.Resource))
			}

			rec.Fail(errors.New("sink down"))
			if err := v.Refuse(t.Context(), tc.artifact, tc.err); !errors.Is(err, verify.ErrAudit) {
				t.Errorf("sink down: %v is not ErrAudit", err)
			}
		})
	}

	// Without WithAudit, the error is returned.
	v, err := verify.New(e.trust, rtExpectation(), privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Refuse(t.Context(), "sha256:abc", errReview38); !errors.Is(err, errReview38) || !errors.Is(err, verify.ErrVerification) {
		t.Errorf("no audit: Refuse = %v", err)
	}
}

// TestReview38VerifyChecked: a Result the caller's check refuses is
// audited as one failure, not a success; a nil check is refused; a check
// that passes leaves Verify's success event.
func TestReview38VerifyChecked(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	tests := []struct {
		name    string
		check   func(*verify.Result) error
		is      error
		outcome audit.Outcome
	}{
		{name: "check refuses", check: func(*verify.Result) error { return errReview38 }, is: errReview38, outcome: audit.OutcomeFailure},
		{name: "nil check", check: nil, is: verify.ErrInvalidExpectation, outcome: audit.OutcomeFailure},
		{name: "check passes", check: func(*verify.Result) error { return nil }, outcome: audit.OutcomeSuccess},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := audittest.NewRecorder()
			v, err := verify.New(e.trust, rtExpectation(), append(privateOpts, verify.WithAudit(rec, "gate-1"))...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyChecked(t.Context(), b, verify.ArtifactBytes(rtArtifact), tc.check)
			switch {
			case tc.is == nil && (err != nil || res == nil):
				t.Fatalf("got %v, %v; want verified", res, err)
			case tc.is != nil && (res != nil || !errors.Is(err, tc.is) || !errors.Is(err, verify.ErrVerification)):
				t.Fatalf("got %v, %v; want %v and ErrVerification", res, err, tc.is)
			}
			if evs := rec.Events(); len(evs) != 1 || evs[0].Outcome != tc.outcome {
				t.Fatalf("events %+v; want one %s", evs, tc.outcome)
			}
		})
	}
}
