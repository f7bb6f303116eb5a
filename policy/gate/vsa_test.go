package gate_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// summaryOf reads the statement and summary out of a VSA bundle.
func summaryOf(t *testing.T, bundle []byte) (*attest.Statement, *vsa.Summary) {
	t.Helper()
	var b struct {
		DSSE struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(b.DSSE.Payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := vsa.FromStatement(st)
	if err != nil {
		t.Fatal(err)
	}
	return st, s
}

// Gate A verifies everything, allows, and attaches a signed VSA naming the
// pinned digest, its policy revision and the bundles it relied on, each
// with its predicate type, signer, builder and the facts A's policy read.
// Gate B, trusting A, decides from that VSA alone: no attestation verified,
// its own policy evaluated once on what the VSA carries and the deploying
// job, and the decision names the VSA.
func TestVSAIssuedThenTrusted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	var attached attachments
	sinkA := &memSink{}
	a, polA := w.gate(t, sinkA, gate.WithVSA(w.issuer(&attached)))
	dA, err := a.Decide(ctx, w.request(t, img.Image))
	if err != nil || !dA.Allowed || dA.IssuedVSA == nil || dA.TrustedVSA != nil || polA.n.Load() != 1 {
		t.Fatalf("gate A: %+v, %v", dA, err)
	}
	bundles := attached.all()
	if len(bundles) != 1 || sha(bundles[0]) != dA.IssuedVSA.Bundle {
		t.Fatalf("attached %d bundles; issued %+v", len(bundles), dA.IssuedVSA)
	}
	if evs := sinkA.all(); len(evs) != 1 || evs[0].Attributes["vsa_issued"] != dA.IssuedVSA.Bundle {
		t.Fatalf("gate A audit: %+v", evs)
	}
	st, s := summaryOf(t, bundles[0])
	if st.Subject[0].Digest["sha256"] != strings.TrimPrefix(img.Digest, "sha256:") || st.Subject[0].Name != img.Name {
		t.Fatalf("VSA subject %+v, want %s@%s", st.Subject, img.Name, img.Digest)
	}
	var inputs []string
	builders := 0
	for _, in := range s.InputAttestations {
		inputs = append(inputs, "sha256:"+in.Digest["sha256"])
		if in.Annotations[vsa.AnnotationSigner] != gatetest.SignerSAN {
			t.Fatalf("input %+v does not name its signer", in)
		}
		if in.Annotations[vsa.AnnotationBuilder] == gatetest.BuilderID {
			builders++
		}
		pt, _ := in.Annotations[vsa.AnnotationPredicateType].(string)
		facts, _ := in.Annotations[vsa.AnnotationPolicyInput].(map[string]any)
		if pt == "" || facts["predicate_type"] != pt {
			t.Fatalf("input %+v does not name its predicate type and carry its policy input", in)
		}
	}
	if builders != 1 {
		t.Fatalf("%d inputs name the builder, want the provenance's", builders)
	}
	var published []string
	for _, b := range img.Bundles {
		published = append(published, sha(b))
	}
	slices.Sort(inputs)
	slices.Sort(published)
	if !slices.Equal(inputs, published) {
		t.Fatalf("input attestations %v, want the published bundles %v", inputs, published)
	}
	if s.Verifier.ID != gateA || s.Result != vsa.Passed || s.PolicyRevision() != dA.PolicyRevision || s.Policy.URI != policyURI ||
		!slices.Equal(s.VerifiedLevels, []string{buildLevel3}) || !strings.HasPrefix(s.ResourceURI, "pkg:oci/app@sha256%3A") {
		t.Fatalf("summary %+v", s)
	}

	sinkB := &memSink{}
	var blobs atomic.Int64 // blob reads by gate B: bundles fetched
	b, polB := w.gate(t, sinkB, gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)), gate.WithImageOptions(image.WithTransport(
		roundTripper(func(r *http.Request) (*http.Response, error) {
			if strings.Contains(r.URL.Path, "/blobs/") {
				blobs.Add(1)
			}
			return http.DefaultTransport.RoundTrip(r)
		}))))
	dB, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || !dB.Allowed || dB.TrustedVSA == nil || dB.VerdictSource != gate.VerdictVSA || dB.Digest != img.Digest || !dB.Verified {
		t.Fatalf("gate B: %+v, %v", dB, err)
	}
	if dB.TrustedVSA.Bundle != dA.IssuedVSA.Bundle || dB.TrustedVSA.Verifier != gateA || dB.PolicyRevision != dA.PolicyRevision {
		t.Fatalf("gate B used %+v, want A's %+v", dB.TrustedVSA, dA.IssuedVSA)
	}
	if polB.n.Load() != 1 || blobs.Load() != 1 {
		t.Fatalf("gate B evaluated policy %d times and read %d bundles; want its policy once on the VSA alone", polB.n.Load(), blobs.Load())
	}
	// B's policy saw the artifact as verified by the summary, with the
	// facts A's policy read from the attestations, and the deploying job.
	in := polB.seen()[0]
	art := in.Artifacts[0]
	if in.Job.Ref != "refs/heads/main" || !in.Job.Protected || !art.Verified || art.Digest != img.Digest || art.VSA == nil {
		t.Fatalf("gate B policy input %+v", in)
	}
	if v := art.VSA; v.Verifier != gateA || v.PolicyRevision != dA.PolicyRevision || !slices.Equal(v.VerifiedLevels, []string{buildLevel3}) ||
		v.TimeVerified != dA.IssuedVSA.TimeVerified.UTC().Format(time.RFC3339Nano) || len(v.Inputs) != len(img.Bundles) {
		t.Fatalf("gate B policy input VSA %+v, want A's summary %+v", v, dA.IssuedVSA)
	}
	provenances := 0
	for _, a := range art.Attestations {
		if p := a.Provenance; p != nil && p.BuilderID == gatetest.BuilderID && p.SourceRepository == gatetest.SourceURI && p.SourceRef == "refs/heads/main" {
			provenances++
		}
	}
	if len(art.Attestations) != len(img.Bundles) || provenances != 1 || art.Signer.SAN != gatetest.SignerSAN {
		t.Fatalf("gate B policy input attestations %+v", art.Attestations)
	}
	if evs := sinkB.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeAllow || evs[0].Attributes["vsa"] != dA.IssuedVSA.Bundle || evs[0].ID != dB.AuditID {
		t.Fatalf("gate B audit: %+v", evs)
	}
}

// A VSA the trusting gate must not rely on is ignored: the gate verifies
// the attestations instead, so the answer is the one full verification
// gives — an allow for a good image, a deny for a bad one — never one the
// VSA would have given.
func TestVSAIgnored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	good, err := w.lab.Publish(ctx, main, "good")
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.lab.Publish(ctx, main, "other")
	if err != nil {
		t.Fatal(err)
	}
	feature, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/feature/x"}, "feature")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := w.lab.Publish(ctx, main, "failed")
	if err != nil {
		t.Fatal(err)
	}
	var attached attachments
	a, _ := w.gate(t, discard(), gate.WithVSA(w.issuer(&attached)))
	dA, err := a.Decide(ctx, w.request(t, good.Image))
	if err != nil || !dA.Allowed {
		t.Fatal(dA, err)
	}
	rev := dA.PolicyRevision
	vsaGood := attached.all()[0]
	// A's genuine VSA of the good image, copied onto another image.
	attach(t, other, vsaGood)
	// A PASSED VSA naming gate A for the feature build (which policy
	// denies), signed by a key gate B does not trust for A.
	attacker := newKey(t)
	forged := w.sign(t, attacker, feature, vsa.Passed, rev)
	attach(t, feature, forged)
	// A FAILED VSA by gate A's own key.
	attach(t, failed, w.sign(t, w.key, failed, vsa.Failed, rev))

	revokedKey := &marks{}
	revokedKey.mark(keyHint(t, w.key))
	// Marks on what gate A relied on reach gate B through the VSA's
	// inputs: B ignores the VSA, and full verification then denies.
	revokedSigner, revokedBuilder := &marks{}, &marks{}
	revokedSigner.mark(gatetest.SignerSAN)
	revokedBuilder.mark(gatetest.BuilderID)
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	earlier := func() time.Time { return time.Now().Add(-10 * time.Minute) }
	tests := []struct {
		name  string
		img   *gatetest.Published
		trust gate.VSATrust
		opts  []gate.Option
		allow bool
		why   error // why the gate logs it ignored the VSA
	}{
		{name: "untrusted verifier id", img: good, trust: gate.VSATrust{VerifierID: "https://gates.example/other", Verifier: w.vsaVerifier(t, w.key), Revisions: []string{rev}, MaxAge: time.Hour}, allow: true, why: gate.ErrVSAUntrusted},
		{name: "other signer for the verifier", img: good, trust: gate.VSATrust{VerifierID: gateA, Verifier: w.vsaVerifier(t, attacker), Revisions: []string{rev}, MaxAge: time.Hour}, allow: true, why: verify.ErrSignature},
		{name: "forged VSA on a denied build", img: feature, trust: w.trustA(t, rev), allow: false, why: verify.ErrSignature},
		{name: "VSA of another digest", img: other, trust: w.trustA(t, rev), allow: true, why: verify.ErrArtifactMismatch},
		{name: "stale", img: good, trust: w.trustA(t, rev), opts: []gate.Option{gate.WithClock(later)}, allow: true, why: gate.ErrVSAStale},
		{name: "from the future", img: good, trust: w.trustA(t, rev), opts: []gate.Option{gate.WithClock(earlier)}, allow: true, why: gate.ErrVSAStale},
		{name: "revision not accepted", img: good, trust: w.trustA(t, "some-other-revision"), allow: true, why: gate.ErrVSARevision},
		{name: "verifier key revoked", img: good, trust: w.trustA(t, rev), opts: []gate.Option{gate.WithRevocations(gate.Revocations{Keys: revokedKey})}, allow: true, why: gate.ErrRevoked},
		{name: "provenance signer revoked", img: good, trust: w.trustA(t, rev), opts: []gate.Option{gate.WithRevocations(gate.Revocations{Signers: revokedSigner})}, allow: false, why: gate.ErrRevoked},
		{name: "builder revoked", img: good, trust: w.trustA(t, rev), opts: []gate.Option{gate.WithRevocations(gate.Revocations{Builders: revokedBuilder})}, allow: false, why: gate.ErrRevoked},
		{name: "FAILED result", img: failed, trust: w.trustA(t, rev), allow: true, why: gate.ErrVSANotPassed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &reasons{}
			b, pol := w.gate(t, discard(), append(tt.opts, gate.WithTrustedVSAs(tt.trust), gate.WithLogger(slog.New(logs)))...)
			d, err := b.Decide(ctx, w.request(t, tt.img.Image))
			if !logs.contain(tt.why) {
				t.Fatalf("no VSA ignored for %v; reasons: %v", tt.why, logs.all())
			}
			if err != nil || d.Allowed != tt.allow || d.TrustedVSA != nil || d.Digest != tt.img.Digest {
				t.Fatalf("Decide = %+v, %v; want allowed=%v by full verification", d, err, tt.allow)
			}
			if pol.n.Load() != 1 {
				t.Fatalf("policy evaluated %d times, want once (full verification)", pol.n.Load())
			}
		})
	}
}

// sign makes a VSA about img with result r, as gate A writes one, signed
// by key and timestamped by the world's TSA.
func (w *vsaWorld) sign(t *testing.T, key *ecdsa.PrivateKey, img *gatetest.Published, r vsa.Result, rev string) []byte {
	t.Helper()
	s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(w.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	levels := []string{buildLevel3}
	if r == vsa.Failed {
		levels = []string{"FAILED"}
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: img.Name, Digest: attest.DigestSet{"sha256": strings.TrimPrefix(img.Digest, "sha256:")}}},
		vsa.Predicate(vsa.Summary{Verifier: vsa.Verifier{ID: gateA}, TimeVerified: time.Now(), ResourceURI: "pkg:oci/app",
			Policy: attest.ResourceDescriptor{URI: policyURI, Annotations: map[string]any{vsa.AnnotationPolicyRevision: rev}},
			Result: r, VerifiedLevels: levels}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attach attaches bundle to img's digest.
func attach(t *testing.T, img *gatetest.Published, bundle []byte) {
	t.Helper()
	d, err := name.NewDigest(img.Name+"@"+img.Digest, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	if err := gate.RegistryAttacher().Attach(t.Context(), d, bundle); err != nil {
		t.Fatal(err)
	}
}

// WithVSA fails closed: a summary that cannot be signed or attached turns
// the allow into an audited deny.
func TestVSAIssueFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	down := errors.New("registry refused the push")
	brokenSigner := attest.SignerFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, errors.New("KMS down") })
	tests := []struct {
		name string
		iss  gate.VSAIssuer
	}{
		{"attach fails", gate.VSAIssuer{VerifierID: gateA, Signer: w.signer, PolicyURI: policyURI,
			Attacher: gate.AttacherFunc(func(context.Context, name.Digest, []byte) error { return down })}},
		{"sign fails", gate.VSAIssuer{VerifierID: gateA, Signer: brokenSigner, PolicyURI: policyURI, Attacher: gate.RegistryAttacher()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := &memSink{}
			g, _ := w.gate(t, sink, gate.WithVSA(tt.iss))
			d, err := g.Decide(ctx, w.request(t, img.Image))
			if !errors.Is(err, gate.ErrVSANotIssued) || !errors.Is(err, gate.ErrUndecided) || d.Allowed || d.IssuedVSA != nil {
				t.Fatalf("Decide = %+v, %v; want a deny wrapping ErrVSANotIssued", d, err)
			}
			if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeError || evs[0].ID != d.AuditID {
				t.Fatalf("audit %+v", evs)
			}
		})
	}
}

func TestVSAOptions(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	v := w.vsaVerifier(t, w.key)
	good := gate.VSAIssuer{VerifierID: gateA, Signer: w.signer, Attacher: gate.RegistryAttacher(), PolicyURI: policyURI}
	withIss := func(f func(*gate.VSAIssuer)) gate.Option { iss := good; f(&iss); return gate.WithVSA(iss) }
	trust := gate.VSATrust{VerifierID: gateA, Verifier: v, Revisions: []string{"r"}, MaxAge: time.Hour}
	withTrust := func(f func(*gate.VSATrust)) gate.Option { tr := trust; f(&tr); return gate.WithTrustedVSAs(tr) }
	tests := []struct {
		name string
		opts []gate.Option
	}{
		{"no signer", []gate.Option{withIss(func(i *gate.VSAIssuer) { i.Signer = nil })}},
		{"no attacher", []gate.Option{withIss(func(i *gate.VSAIssuer) { i.Attacher = nil })}},
		{"verifier id not a URI", []gate.Option{withIss(func(i *gate.VSAIssuer) { i.VerifierID = "staging" })}},
		{"no policy URI", []gate.Option{withIss(func(i *gate.VSAIssuer) { i.PolicyURI = "" })}},
		{"two build levels", []gate.Option{withIss(func(i *gate.VSAIssuer) { i.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_2"} })}},
		{"no trusted verifier", []gate.Option{gate.WithTrustedVSAs()}},
		{"no verifier", []gate.Option{withTrust(func(t *gate.VSATrust) { t.Verifier = nil })}},
		{"no revisions", []gate.Option{withTrust(func(t *gate.VSATrust) { t.Revisions = nil })}},
		{"no freshness window", []gate.Option{withTrust(func(t *gate.VSATrust) { t.MaxAge = 0 })}},
		{"verifier trusted twice", []gate.Option{gate.WithTrustedVSAs(trust, trust)}},
		{"with an inventory", []gate.Option{gate.WithTrustedVSAs(trust), gate.WithInventory(inventory.NewMemory())}},
	}
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := gate.New(w.tokens, vs, &allowVerified{}, discard(), tt.opts...); !errors.Is(err, gate.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}

// reasons collects the errors of the gate's "verification summary
// ignored" diagnostics.
type reasons struct {
	mu   sync.Mutex
	list []error
}

func (r *reasons) Enabled(context.Context, slog.Level) bool { return true }
func (r *reasons) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *reasons) WithGroup(string) slog.Handler            { return r }
func (r *reasons) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "verification summary ignored" {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			r.mu.Lock()
			r.list = append(r.list, err)
			r.mu.Unlock()
		}
		return true
	})
	return nil
}

func (r *reasons) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// contain reports whether a VSA was ignored for target, an error wrapped
// under ErrVSAIgnored.
func (r *reasons) contain(target error) bool {
	return slices.ContainsFunc(r.all(), func(err error) bool { return errors.Is(err, gate.ErrVSAIgnored) && errors.Is(err, target) })
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The trusted path keeps the gate's other guarantees: a revoked job is
// denied before any VSA is looked at, an allow that cannot be audited is no
// allow, and a decision about inline bundles issues no VSA (there is no
// image to attach it to) but is decided as before.
func TestVSAKeepsTheGateContract(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img, dA, _ := w.summarisedMain(t)
	trust := gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision))

	t.Run("revoked job", func(t *testing.T) {
		t.Parallel()
		jobs := &marks{}
		jobs.mark(w.lab.IssuerURL() + "#" + gatetest.SignerSAN)
		g, pol := w.gate(t, discard(), trust, gate.WithRevocations(gate.Revocations{Jobs: jobs}))
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if err != nil || d.Allowed || d.TrustedVSA != nil || !slices.Equal(d.Rules(), []string{gate.RuleJobRevoked}) || pol.n.Load() != 0 {
			t.Fatalf("Decide = %+v, %v; want the revoked job denied", d, err)
		}
	})
	t.Run("audit down", func(t *testing.T) {
		t.Parallel()
		g, _ := w.gate(t, &memSink{failing: true}, trust)
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if !errors.Is(err, gate.ErrUndecided) || d.Allowed {
			t.Fatalf("Decide = %+v, %v; want undecided", d, err)
		}
	})
	t.Run("inline bundles", func(t *testing.T) {
		t.Parallel()
		var none attachments
		g, _ := w.gate(t, discard(), gate.WithVSA(w.issuer(&none)), trust)
		req := w.request(t, "")
		req.Name, req.Digest = img.Name, img.Digest
		for _, b := range img.Bundles {
			req.Bundles = append(req.Bundles, b)
		}
		d, err := g.Decide(ctx, req)
		if err != nil || !d.Allowed || d.IssuedVSA != nil || d.TrustedVSA != nil || len(none.all()) != 0 {
			t.Fatalf("Decide = %+v, %v; want an allow by verification, no VSA", d, err)
		}
	})
}

// TestVSANotIssuedForAWarnModeAllow: an engine in Warn mode admits an
// image its policy denies; the gate must not sign a "passed" summary of
// it, which a trusting gate would take in place of verification.
func TestVSANotIssuedForAWarnModeAllow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.lab.PolicyConfig()
	cfg.Deploy.Builders = []string{"https://builder.example/not-this-one"} // the policy denies the image
	eng, err := policy.New(ctx, policy.BuiltinWith(cfg), policy.WithMode(policy.Warn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	var attached attachments
	g, err := gate.New(w.tokens, vs, eng, discard(), gate.WithRegistries(w.lab.Registry()),
		gate.WithImageOptions(image.WithCache(0, 0)), gate.WithVSA(w.issuer(&attached)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || !slices.Contains(d.Rules(), "deploy.builder_not_allowed") {
		t.Fatalf("warn-mode decision: %+v, %v; want allowed with the builder violation", d, err)
	}
	if d.IssuedVSA != nil || len(attached.all()) != 0 {
		t.Fatalf("a passed summary was issued for an image the policy denied: %+v", d.IssuedVSA)
	}
}
