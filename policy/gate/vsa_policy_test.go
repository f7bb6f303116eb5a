package gate_test

import (
	"crypto/ecdsa"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// A trusting gate keeps its own policy on the VSA path: a rule about the
// deploying job denies there as it does on full verification, and a rule
// that needs facts the VSA does not carry denies rather than passes. Each
// such deny is taken by full verification (the VSA is only ignored), so
// its reasons are the attestations' and equal the full gate's.
func TestVSATrustingGatePolicy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	img, err := w.lab.Publish(ctx, main, "v1")
	if err != nil {
		t.Fatal(err)
	}
	bare, err := w.lab.Publish(ctx, main, "bare")
	if err != nil {
		t.Fatal(err)
	}
	var attached attachments
	a, _ := w.gate(t, discard(), gate.WithVSA(w.issuer(&attached)))
	dA, err := a.Decide(ctx, w.request(t, img.Image))
	if err != nil || !dA.Allowed {
		t.Fatal(dA, err)
	}
	rev := dA.PolicyRevision
	// A PASSED summary by gate A's own key that carries no facts, as a
	// third party's would: the built-in policy finds no provenance in it.
	attach(t, bare, w.sign(t, w.key, bare, vsa.Passed, rev))

	feature := func(t *testing.T, img string) gate.Request {
		t.Helper()
		tok, err := w.lab.Token(ctx, gatetest.Job{Ref: "refs/heads/feature/x"})
		if err != nil {
			t.Fatal(err)
		}
		return gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img}
	}
	requireScan := w.lab.PolicyConfig()
	requireScan.Deploy.RequireScan = true
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		req   func(t *testing.T) gate.Request
		scan  bool // the trusting gate requires a scan
		rules []string
	}{
		{name: "deploying job on an unprotected ref", req: func(t *testing.T) gate.Request { return feature(t, img.Image) },
			rules: []string{"deploy.unprotected_ref"}},
		{name: "a scan this gate requires, which the VSA does not carry", req: func(t *testing.T) gate.Request { return w.request(t, img.Image) },
			scan: true, rules: []string{"deploy.scan_missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := w.lab.PolicyConfig()
			if tt.scan {
				cfg = requireScan
			}
			full, _ := w.gateWith(t, vs, cfg, discard())
			want, err := full.Decide(ctx, tt.req(t))
			if err != nil || want.Allowed || !slices.Equal(want.Rules(), tt.rules) {
				t.Fatalf("full verification: %s, %v; want a deny by %v", want, err, tt.rules)
			}
			logs := &reasons{}
			b, pol := w.gateWith(t, vs, cfg, discard(), gate.WithTrustedVSAs(w.trustA(t, rev)), gate.WithLogger(slog.New(logs)))
			d, err := b.Decide(ctx, tt.req(t))
			if err != nil || d.Allowed || d.TrustedVSA != nil || !slices.Equal(d.Rules(), want.Rules()) {
				t.Fatalf("trusting gate: %s, %v; want the full gate's %s", d, err, want)
			}
			if !logs.contain(gate.ErrVSAPolicyDenied) || pol.n.Load() != 2 || pol.seen()[0].Artifacts[0].VSA == nil {
				t.Fatalf("policy evaluated %d times, reasons %v; want a deny on the VSA, then on the attestations", pol.n.Load(), logs.all())
			}
		})
	}
	t.Run("a VSA without facts", func(t *testing.T) {
		t.Parallel()
		logs := &reasons{}
		b, pol := w.gate(t, discard(), gate.WithTrustedVSAs(w.trustA(t, rev)), gate.WithLogger(slog.New(logs)))
		d, err := b.Decide(ctx, w.request(t, bare.Image))
		if err != nil || !d.Allowed || d.TrustedVSA != nil || pol.n.Load() != 2 {
			t.Fatalf("Decide = %s, %v (policy evaluated %d times); want an allow by full verification", d, err, pol.n.Load())
		}
		in := pol.seen()[0].Artifacts[0]
		if in.VSA == nil || len(in.Attestations) != 0 || !logs.contain(gate.ErrVSAPolicyDenied) {
			t.Fatalf("VSA path input %+v, reasons %v", in, logs.all())
		}
	})
}

// Leases on the VSA path: gate A records the lease ids of the build's
// secrets provenance in its VSA; gate B, checking leases, decides from the
// VSA until a lease is marked compromised, then ignores it and full
// verification denies naming the lease. A VSA that does not say which
// leases reached the build is not relied on while leases are checked.
func TestVSALeases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	const compromised = "ztci_l3ak3d"
	img, err := w.lab.PublishRelease(ctx, main, "v1", lease("ztci_ok", "db/ro"), lease(compromised, "prod/deploy"))
	if err != nil {
		t.Fatal(err)
	}
	unaccounted, err := w.lab.PublishRelease(ctx, main, "unaccounted", lease("ztci_other", "db/ro"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.lab.PolicyConfig()
	cfg.Deploy.RequireSecretsProvenance = true
	var attached attachments
	a, _ := w.releaseGate(t, cfg, discard(), gate.WithVSA(w.issuer(&attached)))
	dA, err := a.Decide(ctx, w.request(t, img.Image))
	if err != nil || !dA.Allowed || len(dA.Attestations) != 5 {
		t.Fatalf("gate A: %s (%+v), %v", dA, dA.Attestations, err)
	}
	_, s := summaryOf(t, attached.all()[0])
	var recorded []any
	for _, in := range s.InputAttestations {
		if in.Annotations[vsa.AnnotationPredicateType] == secretsprov.PredicateType {
			recorded, _ = in.Annotations[vsa.AnnotationLeases].([]any)
		}
	}
	if !slices.Equal(recorded, []any{"ztci_ok", compromised}) {
		t.Fatalf("VSA leases %v", recorded)
	}
	rev := dA.PolicyRevision

	leases := &marks{}
	logs := &reasons{}
	b, _ := w.releaseGate(t, cfg, discard(), gate.WithTrustedVSAs(w.trustA(t, rev)),
		gate.WithRevocations(gate.Revocations{Leases: leases}), gate.WithLogger(slog.New(logs)))
	before, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || !before.Allowed || before.TrustedVSA == nil {
		t.Fatalf("before the mark: %s, %v; want an allow from the VSA", before, err)
	}
	leases.mark(compromised)
	after, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || after.Allowed || after.TrustedVSA != nil || !slices.Equal(after.Rules(), []string{"deploy.credential_compromised"}) ||
		after.Violations[0].Value != compromised || !strings.Contains(after.Violations[0].Message, compromised) {
		t.Fatalf("after the mark: %s (%+v), %v; want a deny naming lease %s", after, after.Violations, err, compromised)
	}
	var revoked *gate.RevokedError
	if !slices.ContainsFunc(logs.all(), func(err error) bool {
		return errors.As(err, &revoked) && revoked.Kind == "lease" && revoked.ID == compromised
	}) {
		t.Fatalf("reasons %v; want the VSA ignored for lease %s", logs.all(), compromised)
	}

	// Summaries by gate A's key that do not account for the leases: an
	// input without its predicate type (as a third party writes them), a
	// secrets provenance input without its leases, no inputs at all.
	digest := attest.DigestSet{"sha256": strings.Repeat("a", 64)}
	for _, tt := range []struct {
		name   string
		inputs []attest.ResourceDescriptor
	}{
		{"input without predicate type", []attest.ResourceDescriptor{{Digest: digest}}},
		{"secrets provenance without leases", []attest.ResourceDescriptor{{Digest: digest,
			Annotations: map[string]any{vsa.AnnotationPredicateType: secretsprov.PredicateType}}}},
		{"no inputs", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := &reasons{}
			p := *unaccounted
			attach(t, &p, w.signSummary(t, w.key, &p, rev, tt.inputs))
			b, _ := w.releaseGate(t, cfg, discard(), gate.WithTrustedVSAs(w.trustA(t, rev)),
				gate.WithRevocations(gate.Revocations{Leases: &marks{}}), gate.WithLogger(slog.New(logs)))
			d, err := b.Decide(ctx, w.request(t, p.Image))
			if err != nil || !d.Allowed || d.TrustedVSA != nil || !logs.contain(gate.ErrVSALeasesUnknown) {
				t.Fatalf("Decide = %s, %v, reasons %v; want the VSA ignored and an allow by full verification", d, err, logs.all())
			}
		})
	}
}

// signSummary makes a PASSED VSA about img naming inputs, as gate A writes
// one, signed by key and timestamped by the world's TSA.
func (w *vsaWorld) signSummary(t *testing.T, key *ecdsa.PrivateKey, img *gatetest.Published, rev string, inputs []attest.ResourceDescriptor) []byte {
	t.Helper()
	s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(w.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: img.Name, Digest: attest.DigestSet{"sha256": strings.TrimPrefix(img.Digest, "sha256:")}}},
		vsa.Predicate(vsa.Summary{Verifier: vsa.Verifier{ID: gateA}, TimeVerified: time.Now(), ResourceURI: "pkg:oci/app",
			Policy:            attest.ResourceDescriptor{URI: policyURI, Annotations: map[string]any{vsa.AnnotationPolicyRevision: rev}},
			InputAttestations: inputs, Result: vsa.Passed, VerifiedLevels: []string{buildLevel3}}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
