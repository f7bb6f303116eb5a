package github_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// TestReview38AuditEveryRefusal: with WithAudit, every github.Verify call
// leaves exactly one event of verify's shape: a success only when a Result
// is returned, one failure for a refusal wherever it is made — before
// verify (size, unreadable bundle, v0.1, no trusted instance), by verify
// (predicate type), or by the Policy's own checks after verify accepted
// the bundle (source and signer digests, the source repository's URIs).
// Those last were checked after verify.Verifier.Verify returned, so its
// audit had already recorded a success for a bundle github refused, and
// the early refusals left nothing. A sink that does not take the event
// fails the call with verify.ErrAudit.
func TestReview38AuditEveryRefusal(t *testing.T) {
	t.Parallel()
	vc := vectors[0] // sigstore-js, public-good
	bundle, _ := vc.load(t)
	raw := read(t, vc.artifact)
	sum := sha256.Sum256(raw)
	resource := "sha256:" + hex.EncodeToString(sum[:])
	roots := staticRoots(t)
	zero := strings.Repeat("0", 40)
	var m map[string]any
	if err := json.Unmarshal(bundle, &m); err != nil {
		t.Fatal(err)
	}
	m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	v01, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		policy   func(p *github.Policy)
		opts     []github.Option
		bundle   []byte
		category string
		resource string
		field    string // IdentityMismatchError.Field, for the Policy's checks
		sentinel error
	}{
		{name: "source digest (after verify)", policy: func(p *github.Policy) { p.SourceDigest = zero },
			category: "identity_mismatch", resource: resource, field: "sourceRepositoryDigest", sentinel: verify.ErrIdentityMismatch},
		{name: "signer digest (after verify)", policy: func(p *github.Policy) { p.SignerDigest = zero },
			category: "identity_mismatch", resource: resource, field: "buildSignerDigest", sentinel: verify.ErrIdentityMismatch},
		{name: "source repository (after verify)", policy: func(p *github.Policy) { p.Repo += "-fork" },
			category: "identity_mismatch", resource: resource, field: "sourceRepositoryURI", sentinel: verify.ErrIdentityMismatch},
		{name: "source owner (after verify)", policy: func(p *github.Policy) { p.Repo = "someone-else/" + repoName(p.Repo) },
			category: "identity_mismatch", resource: resource, field: "sourceRepositoryOwnerURI", sentinel: verify.ErrIdentityMismatch},
		{name: "predicate type (by verify)", policy: func(p *github.Policy) { p.PredicateType = "https://spdx.dev/Document/v2.3" },
			category: "predicate_type_mismatch", resource: resource, sentinel: verify.ErrPredicateTypeMismatch},
		{name: "too large (before verify)", bundle: make([]byte, 32<<20+1),
			category: "malformed_bundle", resource: "artifact:unreadable", sentinel: verify.ErrMalformedBundle},
		{name: "not JSON (before verify)", bundle: []byte("\x1b[31m not a bundle"),
			category: "malformed_bundle", resource: "artifact:unreadable", sentinel: verify.ErrMalformedBundle},
		{name: "bundle v0.1 (before verify)", bundle: v01,
			category: "malformed_bundle", resource: "artifact:unreadable", sentinel: verify.ErrMalformedBundle},
		{name: "no trusted instance (before verify)", opts: []github.Option{github.WithoutPublicGood()},
			category: "untrusted_chain", resource: "artifact:unreadable", sentinel: github.ErrUnknownInstance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := vc.policy
			if tc.policy != nil {
				tc.policy(&p)
			}
			b := bundle
			if tc.bundle != nil {
				b = tc.bundle
			}
			for _, sinkDown := range []bool{false, true} {
				rec := audittest.NewRecorder()
				if sinkDown {
					rec.Fail(errors.New("sink down"))
				}
				v, err := github.New(p, append(append([]github.Option{github.WithAudit(rec, "gate-1")}, roots...), tc.opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(raw))
				if res != nil || !errors.Is(err, verify.ErrVerification) {
					t.Fatalf("sink down %v: got %v, %v; want a refusal", sinkDown, res, err)
				}
				if sinkDown {
					if !errors.Is(err, verify.ErrAudit) {
						t.Errorf("sink down: %v is not verify.ErrAudit", err)
					}
					continue
				}
				if !errors.Is(err, tc.sentinel) {
					t.Errorf("%v does not match %v", err, tc.sentinel)
				}
				if tc.field != "" {
					var ie *verify.IdentityMismatchError
					if !errors.As(err, &ie) || ie.Field != tc.field {
						t.Errorf("want an identity mismatch on %q, got %v", tc.field, err)
					}
				}
				review38OneFailure(t, rec.Events(), tc.resource, tc.category)
			}
		})
	}
}

// TestReview38AuditSuccess: a bundle that satisfies the Policy leaves one
// success event, from the instance that verified it; with the sink down
// the call fails with verify.ErrAudit and returns no Result.
func TestReview38AuditSuccess(t *testing.T) {
	t.Parallel()
	roots := staticRoots(t)
	for _, vc := range vectors {
		t.Run(vc.name, func(t *testing.T) {
			t.Parallel()
			bundle, _ := vc.load(t)
			raw := read(t, vc.artifact)
			sum := sha256.Sum256(raw)
			for _, sinkDown := range []bool{false, true} {
				rec := audittest.NewRecorder()
				if sinkDown {
					rec.Fail(errors.New("sink down"))
				}
				v, err := github.New(vc.policy, append([]github.Option{github.WithAudit(rec, "gate-1")}, roots...)...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(t.Context(), bundle, verify.ArtifactBytes(raw))
				if sinkDown {
					if res != nil || !errors.Is(err, verify.ErrAudit) {
						t.Fatalf("sink down: got %v, %v; want verify.ErrAudit and no Result", res, err)
					}
					continue
				}
				if err != nil || res.Instance != vc.instance {
					t.Fatalf("got %v, %v; want a Result from %s", res, err, vc.instance)
				}
				evs := rec.Events()
				if len(evs) != 1 || evs[0].Outcome != audit.OutcomeSuccess || evs[0].Action != "verify.bundle" ||
					evs[0].Actor.ID != "gate-1" || evs[0].Resource != "sha256:"+hex.EncodeToString(sum[:]) {
					t.Fatalf("events %+v; want one success for the artifact", evs)
				}
			}
		})
	}
}

// TestReview38AuditVerifyAll: VerifyAll audits each bundle once.
func TestReview38AuditVerifyAll(t *testing.T) {
	t.Parallel()
	vc := vectors[0]
	bundle, _ := vc.load(t)
	raw := read(t, vc.artifact)
	rec := audittest.NewRecorder()
	p := vc.policy
	p.SourceDigest = strings.Repeat("0", 40)
	v, err := github.New(p, append([]github.Option{github.WithAudit(rec, "gate-1")}, staticRoots(t)...)...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyAll(t.Context(), [][]byte{bundle, []byte("{}"), bundle}, verify.ArtifactBytes(raw))
	if !errors.Is(err, github.ErrNoAttestations) {
		t.Fatalf("got %v, want ErrNoAttestations", err)
	}
	evs := rec.Events()
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3: %+v", len(evs), evs)
	}
	for i, ev := range evs {
		if ev.Outcome != audit.OutcomeFailure {
			t.Errorf("event %d: outcome %s, want failure", i, ev.Outcome)
		}
	}
}

// TestReview38AuditOptionRefused: WithAudit needs a sink and a name.
func TestReview38AuditOptionRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  github.Option
	}{
		{"nil sink", github.WithAudit(nil, "gate-1")},
		{"no name", github.WithAudit(audittest.NewRecorder(), "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := github.New(github.Policy{Repo: "sigstore/sigstore-js"}, tc.opt); !errors.Is(err, verify.ErrConfig) {
				t.Errorf("got %v, want verify.ErrConfig", err)
			}
		})
	}
}

// review38OneFailure asserts evs is exactly one failure event of verify's
// shape, for resource, with category, and no raw control characters.
func review38OneFailure(t *testing.T, evs []audit.Event, resource, category string) {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("got %d audit events, want exactly 1: %+v", len(evs), evs)
	}
	ev := evs[0]
	if err := ev.Validate(); err != nil {
		t.Errorf("event invalid: %v", err)
	}
	if ev.Outcome != audit.OutcomeFailure || ev.Action != "verify.bundle" || ev.Source != "ztci/verify" ||
		ev.Actor.ID != "gate-1" || ev.Reason == "" || strings.ContainsRune(ev.Reason, '\x1b') {
		t.Errorf("event = %+v; want verify's failure shape", ev)
	}
	if ev.Resource != resource {
		t.Errorf("resource %q, want %q", ev.Resource, resource)
	}
	if got := ev.Attributes["category"]; got != category {
		t.Errorf("category %q, want %q", got, category)
	}
}

// TestReview38AuditVerifyAllStopsOnUnaudited: a bundle whose event the
// sink did not accept ends VerifyAll with verify.ErrAudit. Before, it was
// counted as one more refused bundle, and a later bundle's success was
// returned with the lost event unnoticed.
func TestReview38AuditVerifyAllStopsOnUnaudited(t *testing.T) {
	t.Parallel()
	vc := vectors[0]
	bundle, _ := vc.load(t)
	raw := read(t, vc.artifact)
	roots := staticRoots(t)
	tests := []struct {
		name    string
		bundles [][]byte
	}{
		{"refusal unaudited, then a success", [][]byte{[]byte("{}"), bundle}},
		{"success unaudited, then a success", [][]byte{bundle, bundle}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var writes int
			var events []audit.Event
			sink := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
				mu.Lock()
				defer mu.Unlock()
				writes++
				if writes == 1 {
					return errors.New("sink down")
				}
				events = append(events, e)
				return nil
			})
			v, err := github.New(vc.policy, append([]github.Option{github.WithAudit(sink, "gate-1")}, roots...)...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyAll(t.Context(), tc.bundles, verify.ArtifactBytes(raw))
			if !errors.Is(err, verify.ErrAudit) || res != nil {
				t.Fatalf("got %v, %v; want verify.ErrAudit and no results", res, err)
			}
			if len(events) != 0 {
				t.Errorf("bundles verified after the unaudited one: %+v", events)
			}
		})
	}
}
