package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// svrIssuer is gate A's WithSVR, listing the built-in catalog's controls;
// attached collects what it attaches.
func (w *vsaWorld) svrIssuer(t testing.TB, attached *attachments) gate.SVRIssuer {
	t.Helper()
	return gate.SVRIssuer{VerifierID: gateA, Signer: w.signer, Attacher: attached.wrap(gate.RegistryAttacher()),
		PolicyURI: policyURI, Controls: builtinCatalog(t)}
}

func builtinCatalog(t testing.TB) *compliance.Catalog {
	t.Helper()
	cat, err := compliance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// svrVerifier verifies SVR bundles signed by gate A's key and timestamped
// by the world's TSA: what a consumer of gate A's results configures.
func (w *vsaWorld) svrVerifier(t testing.TB) *verify.Verifier {
	t.Helper()
	v, err := verify.New(w.trust, verify.Expectation{Signer: verify.PublicKey{Key: w.key.Public()}, PredicateType: svr.PredicateType},
		verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// foundSVR is one result discovered on a manifest in the registry.
type foundSVR struct {
	bundle    string // "sha256:<hex>" of the bundle blob
	statement *attest.Statement
	result    *svr.Result
}

// discoverSVRs looks up ref in the Lab's registry as a consumer would: the
// OCI referrers of each manifest that opts select, each bundle verified by
// the SVR verifier for that manifest and its result strictly parsed. It
// returns the results by manifest digest.
func (w *vsaWorld) discoverSVRs(t testing.TB, ref string, opts ...image.Option) map[string][]foundSVR {
	t.Helper()
	v := w.svrVerifier(t)
	iv, err := image.NewVerifier(image.BundleVerifierFunc(func(ctx context.Context, bundle []byte, artifact v1.Hash) (image.BundleResult, error) {
		a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
		if err != nil {
			return image.BundleResult{}, err
		}
		vr, err := v.Verify(ctx, bundle, a)
		if err != nil {
			return image.BundleResult{}, err
		}
		return image.BundleResult{Signer: "gate A", PredicateType: svr.PredicateType, Result: vr}, nil
	}), append([]image.Option{image.WithPredicateTypes(svr.PredicateType), image.WithCache(0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	res, err := iv.VerifyImage(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]foundSVR{}
	for _, tg := range res.Targets {
		for _, a := range tg.Attestations {
			if a.Err != nil {
				t.Fatalf("an attestation of %s does not verify as gate A's SVR: %v", tg.Digest, a.Err)
			}
			r, err := svr.FromStatement(a.Result.Statement)
			if err != nil {
				t.Fatalf("result on %s: %v", tg.Digest, err)
			}
			out[tg.Digest.String()] = append(out[tg.Digest.String()], foundSVR{bundle: a.Bundle.String(), statement: a.Result.Statement, result: r})
		}
	}
	return out
}

// subjectsOf are the subject digests of st, sorted.
func subjectsOf(t testing.TB, st *attest.Statement, repo string) []string {
	t.Helper()
	var out []string
	for _, s := range st.Subject {
		if s.Name != repo || len(s.Digest) != 1 {
			t.Fatalf("subject %+v, want one digest of %s", s, repo)
		}
		out = append(out, "sha256:"+s.Digest["sha256"])
	}
	slices.Sort(out)
	return out
}

// wantProperties are the properties attest/svr writes for d (an image
// decision of the Lab's gate): ZTCI_POLICY_ALLOWED for an allow without
// violations, then the controls of the built-in catalog the decision
// passed, assessed independently here on what the decision reports.
func wantProperties(t testing.TB, d gate.Decision, auditID string) []string {
	t.Helper()
	var ev []compliance.Evidence
	for _, a := range d.Attestations {
		if a.Verified {
			ev = append(ev, compliance.Evidence{PredicateType: a.PredicateType, Signer: a.Signer})
		}
	}
	rep, err := compliance.Assess(builtinCatalog(t), "t", d.IssuedSVR.TimeCreated, compliance.Decision{ID: auditID,
		Action: policy.ActionDeploy, Subject: d.Digest, Allowed: d.Allowed, Violations: d.Violations, Evidence: ev})
	if err != nil {
		t.Fatal(err)
	}
	var passed []string
	for _, c := range rep.Controls {
		if c.Status == compliance.Pass {
			passed = append(passed, c.Control.ID)
		}
	}
	r, err := svr.FromDecision(gateA, svr.Decision{Allowed: d.Allowed, Rules: d.Rules(), PolicyRevision: d.PolicyRevision,
		Time: d.IssuedSVR.TimeCreated, Passed: passed})
	if err != nil {
		t.Fatal(err)
	}
	return r.Properties
}

// An allow issues a signed result about the pinned digest, attached as its
// referrer: a consumer finds it in the registry, verifies it as gate A's
// SVR and strictly reads the policy revision, ZTCI_POLICY_ALLOWED and the
// controls the decision passed. The decision and its audit event name it.
func TestSVRIssuedOnAllow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	var attached attachments
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithSVR(w.svrIssuer(t, &attached)))
	d, err := g.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || d.IssuedSVR == nil || d.IssuedVSA != nil {
		t.Fatalf("Decide = %+v, %v; want an allow that issued an SVR", d, err)
	}
	bundles := attached.all()
	if len(bundles) != 1 || sha(bundles[0]) != d.IssuedSVR.Bundle {
		t.Fatalf("attached %d bundles; issued %+v", len(bundles), d.IssuedSVR)
	}
	evs := sink.all()
	if len(evs) != 1 || evs[0].Outcome != audit.OutcomeAllow || evs[0].Attributes["svr_issued"] != d.IssuedSVR.Bundle {
		t.Fatalf("audit %+v", evs)
	}

	found := w.discoverSVRs(t, img.Image)
	onImage := found[img.Digest]
	if len(found) != 1 || len(onImage) != 1 || onImage[0].bundle != d.IssuedSVR.Bundle {
		t.Fatalf("found %+v in the registry, want the issued SVR on %s", found, img.Digest)
	}
	st, r := onImage[0].statement, onImage[0].result
	if got := subjectsOf(t, st, img.Name); !slices.Equal(got, []string{img.Digest}) {
		t.Fatalf("subjects %v, want the pinned digest", got)
	}
	want := wantProperties(t, d, evs[0].ID)
	if !slices.Equal(r.Properties, want) || !slices.Equal(d.IssuedSVR.Properties, want) {
		t.Fatalf("properties %v (decision %v), want %v", r.Properties, d.IssuedSVR.Properties, want)
	}
	if !r.Has(svr.PropertyAllowed) || !r.Has("SLSA-BUILD-L2.provenance-authentic") {
		t.Fatalf("properties %v lack the allow or the provenance control", r.Properties)
	}
	if r.Verifier.ID != gateA || r.Verifier.Policy == nil || r.Verifier.Policy.URI != policyURI ||
		r.PolicyRevision() != d.PolicyRevision || d.PolicyRevision == "" || !r.TimeCreated.Equal(d.IssuedSVR.TimeCreated) {
		t.Fatalf("result %+v, decision %+v", r, d.IssuedSVR)
	}
}

// With SVRIssuer.IssueDenies a deny issues a result too (by default it
// does not: TestReview33SVRDenyNotIssuedByDefault): signed and
// attached like an allow's, with the policy revision and no
// ZTCI_POLICY_ALLOWED, and none of the controls the violations fail. A
// deny whose result cannot be issued stays a clean deny (no error), says so
// in its audit event, and attaches nothing; inline bundles issue nothing.
func TestSVROnDeny(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/feature/x", Protected: false}, "feature")
	if err != nil {
		t.Fatal(err)
	}
	cat := builtinCatalog(t)

	t.Run("issued", func(t *testing.T) {
		t.Parallel()
		var attached attachments
		sink := &memSink{}
		iss := w.svrIssuer(t, &attached)
		iss.IssueDenies = true
		g, _ := w.gate(t, sink, gate.WithSVR(iss))
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if err != nil || d.Allowed || d.Outcome != gate.OutcomeDeny || len(d.Violations) == 0 || d.IssuedSVR == nil {
			t.Fatalf("Decide = %+v, %v; want a policy deny that issued an SVR", d, err)
		}
		evs := sink.all()
		if len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny || evs[0].Attributes["svr_issued"] != d.IssuedSVR.Bundle {
			t.Fatalf("audit %+v", evs)
		}
		found := w.discoverSVRs(t, img.Image)[img.Digest]
		if len(found) != 1 || found[0].bundle != d.IssuedSVR.Bundle || len(attached.all()) != 1 {
			t.Fatalf("found %+v, want the issued SVR", found)
		}
		r := found[0].result
		if r.Has(svr.PropertyAllowed) || r.PolicyRevision() != d.PolicyRevision {
			t.Fatalf("deny's result %+v", r)
		}
		if want := wantProperties(t, d, evs[0].ID); !slices.Equal(r.Properties, want) {
			t.Fatalf("properties %v, want %v", r.Properties, want)
		}
		for _, v := range d.Violations {
			rule, _ := cat.Rule(v.Rule)
			for _, c := range rule.Controls {
				if r.Has(c) {
					t.Errorf("the deny's result lists %s, which violation %s fails", c, v.Rule)
				}
			}
		}
	})

	t.Run("not issued", func(t *testing.T) {
		t.Parallel()
		var attached attachments
		sink := &memSink{}
		iss := w.svrIssuer(t, &attached)
		iss.IssueDenies = true
		iss.Signer = attest.SignerFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, errors.New("KMS down") })
		g, _ := w.gate(t, sink, gate.WithSVR(iss))
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if err != nil || d.Allowed || d.Outcome != gate.OutcomeDeny || len(d.Violations) == 0 || d.IssuedSVR != nil {
			t.Fatalf("Decide = %+v, %v; want the policy deny, without an SVR", d, err)
		}
		evs := sink.all()
		if len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny || evs[0].ID != d.AuditID ||
			evs[0].Attributes["svr_error"] != "not issued" || evs[0].Attributes["svr_issued"] != "" {
			t.Fatalf("audit %+v", evs)
		}
		if len(attached.all()) != 0 {
			t.Fatal("attached a bundle")
		}
	})

	t.Run("inline bundles", func(t *testing.T) {
		t.Parallel()
		good, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "inline")
		if err != nil {
			t.Fatal(err)
		}
		var attached attachments
		g, _ := w.gate(t, discard(), gate.WithSVR(w.svrIssuer(t, &attached)))
		req := w.request(t, "")
		req.Name, req.Digest = good.Name, good.Digest
		for _, b := range good.Bundles {
			req.Bundles = append(req.Bundles, json.RawMessage(b))
		}
		d, err := g.Decide(ctx, req)
		if err != nil || !d.Allowed || d.IssuedSVR != nil || len(attached.all()) != 0 {
			t.Fatalf("Decide = %+v, %v; want an allow without an SVR", d, err)
		}
	})
}

// WithSVR fails closed: an allow whose result cannot be signed or attached
// is an audited deny wrapping ErrSVRNotIssued.
func TestSVRIssueFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	down := errors.New("registry refused the push")
	brokenSigner := attest.SignerFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, errors.New("KMS down") })
	tests := []struct {
		name string
		iss  gate.SVRIssuer
	}{
		{"attach fails", gate.SVRIssuer{VerifierID: gateA, Signer: w.signer, PolicyURI: policyURI,
			Attacher: gate.AttacherFunc(func(context.Context, name.Digest, []byte) error { return down })}},
		{"sign fails", gate.SVRIssuer{VerifierID: gateA, Signer: brokenSigner, PolicyURI: policyURI, Attacher: gate.RegistryAttacher()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := &memSink{}
			g, _ := w.gate(t, sink, gate.WithSVR(tt.iss))
			d, err := g.Decide(ctx, w.request(t, img.Image))
			if !errors.Is(err, gate.ErrSVRNotIssued) || !errors.Is(err, gate.ErrUndecided) || d.Allowed || d.IssuedSVR != nil ||
				d.Outcome != gate.OutcomeError {
				t.Fatalf("Decide = %+v, %v; want a deny wrapping ErrSVRNotIssued", d, err)
			}
			if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeError || evs[0].ID != d.AuditID {
				t.Fatalf("audit %+v", evs)
			}
		})
	}
}

// WithVSA and WithSVR together: one allow attaches both, each verifiable
// as its own predicate type, and the decision and audit event name both;
// an allow stands only if both were issued. A gate that decides on gate
// A's trusted summary issues no result (nothing was verified again).
func TestSVRWithVSA(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	var vsas, svrs attachments
	sink := &memSink{}
	a, _ := w.gate(t, sink, gate.WithVSA(w.issuer(&vsas)), gate.WithSVR(w.svrIssuer(t, &svrs)))
	d, err := a.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || d.IssuedVSA == nil || d.IssuedSVR == nil || d.IssuedVSA.Bundle == d.IssuedSVR.Bundle {
		t.Fatalf("Decide = %+v, %v; want an allow issuing a VSA and an SVR", d, err)
	}
	if evs := sink.all(); len(evs) != 1 || evs[0].Attributes["vsa_issued"] != d.IssuedVSA.Bundle || evs[0].Attributes["svr_issued"] != d.IssuedSVR.Bundle {
		t.Fatalf("audit %+v", evs)
	}
	if b := vsas.all(); len(b) != 1 || sha(b[0]) != d.IssuedVSA.Bundle {
		t.Fatalf("VSA bundles %d", len(b))
	}
	if b := svrs.all(); len(b) != 1 || sha(b[0]) != d.IssuedSVR.Bundle {
		t.Fatalf("SVR bundles %d", len(b))
	}
	// The image's referrers hold both; the SVR verifier accepts only the
	// SVR (the VSA is another predicate type, not fetched as one).
	if found := w.discoverSVRs(t, img.Image)[img.Digest]; len(found) != 1 || found[0].bundle != d.IssuedSVR.Bundle {
		t.Fatalf("found %+v", found)
	}

	// The SVR fails after the VSA was issued: the allow is a deny.
	broken := w.svrIssuer(t, &svrs)
	broken.Attacher = gate.AttacherFunc(func(context.Context, name.Digest, []byte) error { return errors.New("down") })
	c, _ := w.gate(t, discard(), gate.WithVSA(w.issuer(&vsas)), gate.WithSVR(broken))
	if d, err := c.Decide(ctx, w.request(t, img.Image)); !errors.Is(err, gate.ErrSVRNotIssued) || d.Allowed {
		t.Fatalf("Decide = %+v, %v; want a deny wrapping ErrSVRNotIssued", d, err)
	}

	var more attachments
	b, _ := w.gate(t, discard(), gate.WithTrustedVSAs(w.trustA(t, d.PolicyRevision)), gate.WithSVR(w.svrIssuer(t, &more)))
	dB, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || !dB.Allowed || dB.TrustedVSA == nil || dB.IssuedSVR != nil || len(more.all()) != 0 {
		t.Fatalf("trusting gate: %+v, %v; want an allow on the summary without an SVR", dB, err)
	}
}

// On a multi-platform index the result's subjects are the platform
// manifests the gate verified, and it is attached to each, like a VSA: a
// consumer verifying either platform finds it, and a gate that verified
// one platform vouches for nothing else.
func TestSVRMultiPlatform(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	publish := func(t *testing.T, tag string) *gatetest.PublishedIndex {
		img, err := w.lab.PublishIndex(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, tag, amd64, arm64)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	issue := func(t *testing.T, img *gatetest.PublishedIndex, platforms image.Option) gate.Decision {
		var attached attachments
		g, _ := w.gate(t, discard(), gate.WithImageOptions(platforms), gate.WithSVR(w.svrIssuer(t, &attached)))
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if err != nil || !d.Allowed || d.IssuedSVR == nil || d.Digest != img.Digest {
			t.Fatalf("Decide = %+v, %v", d, err)
		}
		return d
	}

	t.Run("all platforms", func(t *testing.T) {
		t.Parallel()
		img := publish(t, "all")
		d := issue(t, img, image.WithAllPlatforms())
		want := []string{img.Platforms["linux/amd64"], img.Platforms["linux/arm64"]}
		slices.Sort(want)
		found := w.discoverSVRs(t, img.Image, image.WithAllPlatforms())
		if len(found) != 2 {
			t.Fatalf("found results on %d manifests, want the 2 platform manifests", len(found))
		}
		for _, m := range want {
			f := found[m]
			if len(f) != 1 || f[0].bundle != d.IssuedSVR.Bundle {
				t.Fatalf("on %s: %+v, want the issued SVR", m, f)
			}
			if got := subjectsOf(t, f[0].statement, img.Name); !slices.Equal(got, want) {
				t.Fatalf("subjects %v, want the platform manifests %v", got, want)
			}
			if !f[0].result.Has(svr.PropertyAllowed) {
				t.Fatalf("properties %v", f[0].result.Properties)
			}
		}
	})

	t.Run("one platform", func(t *testing.T) {
		t.Parallel()
		img := publish(t, "amd64")
		d := issue(t, img, image.WithPlatform(amd64))
		found := w.discoverSVRs(t, img.Image, image.WithAllPlatforms())
		on := found[img.Platforms["linux/amd64"]]
		if len(on) != 1 || on[0].bundle != d.IssuedSVR.Bundle || len(found[img.Platforms["linux/arm64"]]) != 0 {
			t.Fatalf("found %+v, want the SVR on the amd64 manifest only", found)
		}
		if got := subjectsOf(t, on[0].statement, img.Name); !slices.Equal(got, []string{img.Platforms["linux/amd64"]}) {
			t.Fatalf("subjects %v, want the amd64 manifest", got)
		}
	})
}

func TestSVROptions(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	good := gate.SVRIssuer{VerifierID: gateA, Signer: w.signer, Attacher: gate.RegistryAttacher(), PolicyURI: policyURI}
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*gate.SVRIssuer)
		ok   bool
	}{
		{"good", func(*gate.SVRIssuer) {}, true},
		{"no policy URI", func(i *gate.SVRIssuer) { i.PolicyURI = "" }, true},
		{"no signer", func(i *gate.SVRIssuer) { i.Signer = nil }, false},
		{"no attacher", func(i *gate.SVRIssuer) { i.Attacher = nil }, false},
		{"verifier id not a URI", func(i *gate.SVRIssuer) { i.VerifierID = "staging" }, false},
		{"no verifier id", func(i *gate.SVRIssuer) { i.VerifierID = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			iss := good
			tt.edit(&iss)
			_, err := gate.New(w.tokens, vs, &allowVerified{}, discard(), gate.WithSVR(iss))
			if ok := err == nil; ok != tt.ok || (err != nil && !errors.Is(err, gate.ErrConfig)) {
				t.Fatalf("New = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
