package blob_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// review38Marker is attacker text a log entry carries: it must not reach
// an audit event whole, nor its control characters.
var review38Marker = "\x1b[31mATTACKER" + strings.Repeat("A", 4000)

// review38Check asserts that evs is exactly one failure event of
// verify's shape for resource, with category and no raw attacker text.
func review38Check(t *testing.T, evs []audit.Event, resource, category string) {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("got %d audit events, want exactly 1: %+v", len(evs), evs)
	}
	ev := evs[0]
	if err := ev.Validate(); err != nil {
		t.Errorf("event invalid: %v", err)
	}
	if ev.Outcome != audit.OutcomeFailure || ev.Action != "verify.bundle" || ev.Source != "ztci/verify" ||
		ev.Actor.ID != "gate-1" || ev.Attributes["trust_revision"] != "rev-1" || ev.Reason == "" {
		t.Errorf("event = %+v; want verify's failure shape", ev)
	}
	if ev.Resource != resource {
		t.Errorf("resource %q, want %q", ev.Resource, resource)
	}
	if got := ev.Attributes["category"]; got != category {
		t.Errorf("category %q, want %q", got, category)
	}
	j, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") ||
		strings.ContainsRune(ev.Reason, '\x1b') || len(ev.Reason) > 1024 {
		t.Errorf("event carries raw attacker text: %q", ev.Reason)
	}
}

// TestReview38AuditEarlyRefusals: every input blob.Verifier refuses before
// the bundle reaches verify.Verifier is audited once, in verify's event
// shape, and a sink that does not take the event turns the refusal into
// verify.ErrAudit. Before, none of these left an event.
func TestReview38AuditEarlyRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.keyless(t, release)
	f := w.signBlob(t, s, artifact, nil)
	attackerKind := w.signBlob(t, s, artifact, func(b map[string]any) { b["kind"] = review38Marker })
	good, err := detached(t, f, true).Bundle(blob.Bytes(artifact))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(artifact)
	s384 := sha512.Sum384(artifact)
	only384, err := blob.Digest("sha384:" + hex.EncodeToString(s384[:]))
	if err != nil {
		t.Fatal(err)
	}
	resource := "sha256:" + hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		call     func(v *blob.Verifier) (*verify.Result, error)
		want     error
		resource string
		category string
	}{
		{name: "entry logs another artifact", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.Verify(t.Context(), detached(t, f, true), blob.Bytes([]byte("other")))
		}, want: blob.ErrEntryMismatch, resource: "sha256:" + hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte("other")); return s[:] }()), category: "tlog"},
		{name: "entry of another kind, attacker text", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.Verify(t.Context(), detached(t, attackerKind, true), blob.Bytes(artifact))
		}, want: blob.ErrEntryMismatch, resource: resource, category: "tlog"},
		{name: "swapped signature", call: func(v *blob.Verifier) (*verify.Result, error) {
			d := detached(t, f, true)
			d.Signature = append([]byte{}, d.Signature...)
			d.Signature[len(d.Signature)-1] ^= 1
			return v.Verify(t.Context(), d, blob.Bytes(artifact))
		}, want: blob.ErrEntryMismatch, resource: resource, category: "tlog"},
		{name: "artifact lacks the entry's digest", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.Verify(t.Context(), detached(t, f, true), only384)
		}, want: blob.ErrEntryMismatch, resource: only384.String(), category: "tlog"},
		{name: "entry body does not parse", call: func(v *blob.Verifier) (*verify.Result, error) {
			d := detached(t, f, true)
			d.Entry.Body = []byte(review38Marker)
			return v.Verify(t.Context(), d, blob.Bytes(artifact))
		}, want: blob.ErrMalformed, resource: resource, category: "malformed_bundle"},
		{name: "empty signature", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.Verify(t.Context(), &blob.Detached{}, blob.Bytes(artifact))
		}, want: blob.ErrMalformed, resource: resource, category: "malformed_bundle"},
		{name: "nil detached", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.Verify(t.Context(), nil, blob.Bytes(artifact))
		}, want: blob.ErrMalformed, resource: resource, category: "malformed_bundle"},
		{name: "zero artifact", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.Verify(t.Context(), detached(t, f, true), blob.Artifact{})
		}, want: blob.ErrInvalidInput, resource: "artifact:unreadable", category: "invalid_expectation"},
		{name: "bundle, zero artifact", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.VerifyBundle(t.Context(), good, blob.Artifact{})
		}, want: blob.ErrInvalidInput, resource: "artifact:unreadable", category: "invalid_expectation"},
		{name: "bundle, artifact lacks the bundle's digest algorithm", call: func(v *blob.Verifier) (*verify.Result, error) {
			return v.VerifyBundle(t.Context(), good, only384)
		}, want: verify.ErrArtifactMismatch, resource: only384.String(), category: "artifact_mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, sinkDown := range []bool{false, true} {
				rec := audittest.NewRecorder()
				if sinkDown {
					rec.Fail(errors.New("sink down"))
				}
				v := review38Verifier(t, w, rec)
				res, err := tc.call(v)
				if res != nil || !errors.Is(err, verify.ErrVerification) {
					t.Fatalf("sink down %v: got %v, %v; want a refusal", sinkDown, res, err)
				}
				if sinkDown {
					if !errors.Is(err, verify.ErrAudit) {
						t.Errorf("sink down: %v is not verify.ErrAudit", err)
					}
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("%v is not %v", err, tc.want)
				}
				review38Check(t, rec.Events(), tc.resource, tc.category)
			}
		})
	}

	// The control: a verification that passes leaves one success event,
	// not two.
	rec := audittest.NewRecorder()
	if _, err := review38Verifier(t, w, rec).Verify(t.Context(), detached(t, f, true), blob.Bytes(artifact)); err != nil {
		t.Fatal(err)
	}
	if evs := rec.Events(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeSuccess || evs[0].Resource != resource {
		t.Fatalf("good signature: events %+v, want one success", evs)
	}
}

func review38Verifier(t *testing.T, w *world, rec *audittest.Recorder) *blob.Verifier {
	t.Helper()
	trust, err := verify.ParseTrustedRoot(w.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, expectIdentity(release), verify.WithSCTThreshold(0),
		verify.WithAudit(rec, "gate-1"), verify.WithTrustRevision("rev-1"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := blob.NewVerifier(vv)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReview38AuditSubjectCheck: a statement verify accepts but blob
// refuses (a subject naming the artifact by one digest and another file
// by another) is audited as one failure, never as a success. Before,
// verify wrote a success event and blob then denied.
func TestReview38AuditSubjectCheck(t *testing.T) {
	t.Parallel()
	stamps, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.example", stamps).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	art := []byte("kubectl")
	s256 := sha256.Sum256(art)
	o512 := sha512.Sum512([]byte("other"))
	st := fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"kubectl","digest":{"sha256":%q,"sha512":%q}}],"predicateType":%q,"predicate":{}}`,
		hex.EncodeToString(s256[:]), hex.EncodeToString(o512[:]), review15Predicate)
	ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: "https://tsa.example/api/v1/timestamp", Transport: review15Transport{stamps.Handler()}})
	pb, err := sign.Bundle(&sign.DSSEData{Data: st, PayloadType: "application/vnd.in-toto+json"}, kp,
		sign.BundleOptions{TimestampAuthorities: []*sign.TimestampAuthority{ta}, Context: t.Context()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	for _, sinkDown := range []bool{false, true} {
		rec := audittest.NewRecorder()
		if sinkDown {
			rec.Fail(errors.New("sink down"))
		}
		vv, err := verify.New(trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}, PredicateType: review15Predicate},
			verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1),
			verify.WithAudit(rec, "gate-1"), verify.WithTrustRevision("rev-1"), verify.WithResultCache(4))
		if err != nil {
			t.Fatal(err)
		}
		v, err := blob.NewVerifier(vv)
		if err != nil {
			t.Fatal(err)
		}
		// Twice: the second answer comes from verify's result cache and
		// must be refused and audited the same.
		for range 2 {
			res, err := v.VerifyBundle(t.Context(), b, blob.Bytes(art))
			if res != nil || !errors.Is(err, verify.ErrVerification) {
				t.Fatalf("got %v, %v; want a refusal", res, err)
			}
			if sinkDown {
				if !errors.Is(err, verify.ErrAudit) {
					t.Errorf("sink down: %v is not verify.ErrAudit", err)
				}
				continue
			}
			if !errors.Is(err, verify.ErrArtifactMismatch) {
				t.Errorf("%v is not verify.ErrArtifactMismatch", err)
			}
			review38Check(t, rec.Events(), "sha256:"+hex.EncodeToString(s256[:]), "artifact_mismatch")
			rec.Reset()
		}
	}
}
