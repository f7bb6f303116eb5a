package gate_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// TestReview5ThirdPartyVSAOfRevokedKey: the key a third-party verifier
// is pinned to is marked compromised ([gate.Revocations].Keys, by
// verify.KeyFingerprint, "the id to revoke a key by"). A summary it signs
// is then a rejected envelope, reported as revoked, and never reaches
// policy: a rule requiring one denies. The mark takes effect on the next
// decision of a running gate, as every revocation does. ThirdPartyVSAs.Check
// alone (no gate, no revocations) still verifies it.
func TestReview5ThirdPartyVSAOfRevokedKey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	p := w.publishMain(t)
	key, other := newKey(t), newKey(t)
	tp, err := gate.NewThirdPartyVSAs(
		gate.ThirdPartyVSATrust{VerifierID: thirdPartyVerifier, Key: key.Public(), KeyID: "verifier-key-1", ResourceURI: thirdPartyResource, MaxAge: time.Hour},
		gate.ThirdPartyVSATrust{VerifierID: thirdPartyVerifier, Key: other.Public(), KeyID: "verifier-key-1", ResourceURI: thirdPartyResource, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(ctx, policy.FS(fstest.MapFS{"acme/deploy.rego": {Data: []byte(requireThirdPartyVSA)}}),
		policy.WithQuery("data.acme.deploy.decision"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	m := &marks{}
	g, err := gate.New(w.tokens, vs, eng, audittest.NewRecorder(), gate.WithRegistries(w.lab.Registry()),
		gate.WithThirdPartyVSAs(tp), gate.WithRevocations(gate.Revocations{Keys: m}))
	if err != nil {
		t.Fatal(err)
	}
	env := thirdPartyEnvelope(t, key, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", time.Now())
	req := w.request(t, p.Image)
	req.ThirdPartyVSAs = []json.RawMessage{env}
	if d, err := g.Decide(ctx, req); err != nil || !d.Allowed {
		t.Fatalf("before the mark: %s %+v, %v; want an allow", d, d.Attestations, err)
	}

	fp, err := verify.KeyFingerprint(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	m.mark(fp)
	d, err := g.Decide(ctx, req)
	if err != nil || d.Allowed || !slices.Contains(d.Rules(), "acme.vsa_missing") {
		t.Fatalf("after the mark: %s, %v; want a deny for want of a summary", d, err)
	}
	revoked := 0
	for _, a := range d.Attestations {
		if a.PredicateType == vsa.PredicateType && !a.Verified && strings.Contains(a.Error, gate.ErrRevoked.Error()) {
			revoked++
		}
	}
	if revoked != 1 {
		t.Fatalf("attestations %+v: want the summary refused as revoked", d.Attestations)
	}

	// Another pin of the verifier, not marked, still counts.
	req.ThirdPartyVSAs = []json.RawMessage{thirdPartyEnvelope(t, other, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", time.Now())}
	if d, err := g.Decide(ctx, req); err != nil || !d.Allowed {
		t.Fatalf("summary by the unmarked key: %s, %v; want an allow", d, err)
	}

	atts, report, err := tp.Check(ctx, time.Now(), policy.Artifact{Name: p.Name, Digest: p.Digest}, [][]byte{env})
	if err != nil || len(atts) != 1 || len(report) != 1 || report[0].Err != nil || errors.Is(report[0].Err, gate.ErrRevoked) {
		t.Fatalf("Check = %v, %+v, %v; want the summary verified", atts, report, err)
	}
}
