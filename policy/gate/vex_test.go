package gate_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// xzFinding is a critical finding with an alias, in a package with a purl.
var xzFinding = vuln.Finding{ID: "CVE-2024-3094", Aliases: []string{"GHSA-rxwq-x6h5-x525"}, Severity: vuln.SeverityCritical,
	Package: vuln.Package{Name: "xz-utils", Version: "5.6.0", PURL: "pkg:deb/debian/xz-utils@5.6.0?arch=amd64"}}

func scanPredicate(at time.Time, findings ...vuln.Finding) func(identity.Identity) (attest.Predicate, error) {
	return func(identity.Identity) (attest.Predicate, error) {
		return vuln.Predicate(vuln.Scan{Scanner: vuln.Scanner{Name: "osv-scanner", URI: "pkg:github/google/osv-scanner"}, Time: at, Findings: findings}), nil
	}
}

// vexStatement says status about CVE-2024-3094 in the image with the given
// digest ("sha256:<hex>"), at t.
func vexStatement(digest string, status vex.Status, t time.Time) vex.Statement {
	s := vex.Statement{
		Vulnerability: vex.Vulnerability{Name: "CVE-2024-3094"},
		Timestamp:     t,
		Products:      []vex.Product{{Component: vex.Component{ID: "pkg:oci/app@" + strings.Replace(digest, ":", "%3A", 1)}}},
		Status:        status,
	}
	switch status {
	case vex.StatusNotAffected:
		s.Justification = vex.VulnerableCodeNotInExecutePath
	case vex.StatusAffected:
		s.ActionStatement = "upgrade xz-utils"
	}
	return s
}

func vexPredicate(stmts ...vex.Statement) func(identity.Identity) (attest.Predicate, error) {
	return func(identity.Identity) (attest.Predicate, error) {
		return vex.Predicate(vex.Document{ID: "https://vex.acme.example/app", Author: "Acme PSIRT",
			Timestamp: stmts[0].Timestamp, Version: 1, Statements: stmts}), nil
	}
}

// vexGate is a deploy gate over the Lab that verifies scans and OpenVEX
// attestations signed by the release workflow and decides with cfg, with
// no image cache, so an attestation attached between decisions counts.
func vexGate(t *testing.T, lab *gatetest.Lab, cfg policy.LibraryConfig) *gate.Gate {
	t.Helper()
	ctx := t.Context()
	vs, err := lab.ReleaseVerifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	vs[vex.PredicateType], err = verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: gatetest.SignerSAN, Issuer: lab.IssuerURL()}, PredicateType: vex.PredicateType},
		verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(ctx, policy.BuiltinWith(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	tokens, err := oidc.NewVerifier(lab.IssuerURL(), gatetest.Audience)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.New(tokens, vs, eng, discard(), gate.WithRegistries(lab.Registry()), gate.WithImageOptions(image.WithCache(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Through the gate, on the built-in policy: a critical finding denies
// until a VEX statement signed by an allowed VEX signer says not_affected
// (with justification) or fixed for this image, and denies again when a
// later statement says affected; the same VEX does not count at a gate
// whose VEX signers do not include its signer, nor for another image.
func TestVEXThroughTheGate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	mainJob := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	cfg := lab.PolicyConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: gatetest.SignerSAN, Issuer: lab.IssuerURL()}}
	trusting := vexGate(t, lab, cfg)
	other := cfg
	other.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: "https://git.example/acme/psirt/.ztci/vex.yml", Issuer: lab.IssuerURL()}}
	distrusting := vexGate(t, lab, other)

	tok, err := lab.Token(ctx, mainJob)
	if err != nil {
		t.Fatal(err)
	}
	decide := func(t *testing.T, g *gate.Gate, img string) gate.Decision {
		t.Helper()
		d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img})
		if err != nil {
			t.Fatalf("Decide(%s): %v", img, err)
		}
		return d
	}
	denied := func(t *testing.T, d gate.Decision) {
		t.Helper()
		if d.Allowed || !reflect.DeepEqual(d.Rules(), []string{"deploy.critical_findings", "deploy.vulnerability"}) {
			t.Fatalf("decision %s, want a deny by deploy.critical_findings and deploy.vulnerability", d)
		}
		if v := d.Violations[1]; v.Value != "CVE-2024-3094" {
			t.Fatalf("violation %+v, want the finding named", v)
		}
	}
	publish := func(t *testing.T, tag string) *gatetest.Published {
		t.Helper()
		p, err := lab.Publish(ctx, mainJob, tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := lab.Attach(ctx, mainJob, p, scanPredicate(time.Now(), xzFinding)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	attach := func(t *testing.T, p *gatetest.Published, pred func(identity.Identity) (attest.Predicate, error)) {
		t.Helper()
		if err := lab.Attach(ctx, mainJob, p, pred); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()

	t.Run("not_affected lifts, a later affected restores the deny", func(t *testing.T) {
		t.Parallel()
		p := publish(t, "vex-not-affected")
		denied(t, decide(t, trusting, p.Image))
		attach(t, p, vexPredicate(vexStatement(p.Digest, vex.StatusNotAffected, now.Add(-time.Hour))))
		if d := decide(t, trusting, p.Image); !d.Allowed {
			t.Fatalf("after a signed not_affected: %s", d)
		}
		denied(t, decide(t, distrusting, p.Image))
		attach(t, p, vexPredicate(vexStatement(p.Digest, vex.StatusAffected, now)))
		denied(t, decide(t, trusting, p.Image))
	})
	t.Run("fixed lifts", func(t *testing.T) {
		t.Parallel()
		p := publish(t, "vex-fixed")
		attach(t, p, vexPredicate(vexStatement(p.Digest, vex.StatusFixed, now)))
		if d := decide(t, trusting, p.Image); !d.Allowed {
			t.Fatalf("after a signed fixed: %s", d)
		}
	})
	t.Run("a statement about another image does not lift", func(t *testing.T) {
		t.Parallel()
		p := publish(t, "vex-other-product")
		attach(t, p, vexPredicate(vexStatement("sha256:"+strings.Repeat("e", 64), vex.StatusNotAffected, now)))
		denied(t, decide(t, trusting, p.Image))
	})
	t.Run("under_investigation does not lift", func(t *testing.T) {
		t.Parallel()
		p := publish(t, "vex-investigating")
		attach(t, p, vexPredicate(vexStatement(p.Digest, vex.StatusUnderInvestigation, now)))
		denied(t, decide(t, trusting, p.Image))
	})
}

// Through the gate: with MaxScanAge, an image whose scans are fresh is
// allowed and denied once a stale scan is attached; with RequireScan, an
// image without a scan is denied and allowed once a scan is attached.
func TestScanRulesThroughTheGate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	mainJob := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	cfg := lab.PolicyConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.RequireScan = true
	cfg.Deploy.MaxScanAge = 24 * time.Hour
	g := vexGate(t, lab, cfg)
	tok, err := lab.Token(ctx, mainJob)
	if err != nil {
		t.Fatal(err)
	}
	decide := func(t *testing.T, img string) gate.Decision {
		t.Helper()
		d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img})
		if err != nil {
			t.Fatalf("Decide(%s): %v", img, err)
		}
		return d
	}
	onlyRule := func(t *testing.T, d gate.Decision, rule string) {
		t.Helper()
		if r := d.Rules(); d.Allowed || len(r) != 1 || r[0] != rule {
			t.Fatalf("decision %s, want a deny by %s only", d, rule)
		}
	}
	medium := vuln.Finding{ID: "GHSA-wcg3-cvx6-7396", Severity: vuln.SeverityMedium, Package: vuln.Package{Name: "time", Version: "0.1.45", PURL: "pkg:cargo/time"}}

	t.Run("scan age", func(t *testing.T) {
		t.Parallel()
		p, err := lab.Publish(ctx, mainJob, "scan-age")
		if err != nil {
			t.Fatal(err)
		}
		if err := lab.Attach(ctx, mainJob, p, scanPredicate(time.Now().Add(-time.Hour), medium)); err != nil {
			t.Fatal(err)
		}
		if d := decide(t, p.Image); !d.Allowed {
			t.Fatalf("a scan an hour old below the threshold: %s", d)
		}
		if err := lab.Attach(ctx, mainJob, p, scanPredicate(time.Now().Add(-48*time.Hour), medium)); err != nil {
			t.Fatal(err)
		}
		onlyRule(t, decide(t, p.Image), "deploy.scan_too_old")
	})
	t.Run("scan required", func(t *testing.T) {
		t.Parallel()
		p, err := lab.Publish(ctx, mainJob, "scan-required")
		if err != nil {
			t.Fatal(err)
		}
		onlyRule(t, decide(t, p.Image), "deploy.scan_missing")
		if err := lab.Attach(ctx, mainJob, p, scanPredicate(time.Now(), medium)); err != nil {
			t.Fatal(err)
		}
		if d := decide(t, p.Image); !d.Allowed {
			t.Fatalf("after a fresh scan: %s", d)
		}
	})
}

// The conversion hands policy only the statements that name the artifact,
// with their subcomponents' purls and the finding aliases VEX may name; an
// unreadable VEX predicate lifts nothing.
func TestVEXConversion(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("c", 64)
	digest := "sha256:" + hex
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	named := vexStatement(digest, vex.StatusNotAffected, at)
	named.Vulnerability.Aliases = []string{"GHSA-rxwq-x6h5-x525"}
	named.Products[0].Subcomponents = []vex.Component{{ID: "pkg:deb/debian/xz-utils"}, {Identifiers: map[string]string{"cpe23": "cpe:2.3:a:tukaani:xz:5.6.0:*:*:*:*:*:*:*"}}}
	byRepo := vexStatement(digest, vex.StatusFixed, at)
	byRepo.Products = []vex.Product{{Component: vex.Component{Identifiers: map[string]string{"purl": "pkg:oci/app?repository_url=registry.example/acme/app"}}}}
	elsewhere := vexStatement("sha256:"+strings.Repeat("d", 64), vex.StatusFixed, at)
	pred, err := vexPredicate(named, byRepo, elsewhere)(identity.Identity{})
	if err != nil {
		t.Fatal(err)
	}
	subject := attest.ResourceDescriptor{Name: "registry.example/acme/app", Digest: attest.DigestSet{"sha256": hex}}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, pred)
	if err != nil {
		t.Fatal(err)
	}
	signer := verify.SignerInfo{Kind: verify.SignerCertificate, SAN: "https://git.example/acme/psirt/.ztci/vex.yml", Issuer: "https://ci.example"}
	art := gate.Artifact(subject.Name, digest, true, &verify.Result{Statement: st, Signer: signer})
	got := art.Attestations[0].VEX
	want := &policy.VEX{Statements: []policy.VEXStatement{
		{Vulnerability: "CVE-2024-3094", Aliases: []string{"GHSA-rxwq-x6h5-x525"}, Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path",
			Timestamp: "2026-12-01T00:00:00Z", Subcomponents: []string{"pkg:deb/debian/xz-utils", "cpe:2.3:a:tukaani:xz:5.6.0:*:*:*:*:*:*:*"}},
		{Vulnerability: "CVE-2024-3094", Status: "fixed", Timestamp: "2026-12-01T00:00:00Z"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("VEX for policy = %+v\nwant %+v", got, want)
	}
	if a := gate.Attestation(&verify.Result{Statement: st, Signer: signer}); a.VEX != nil {
		t.Fatalf("Attestation without the artifact gave statements %+v", a.VEX)
	}
	bad := *st
	bad.Predicate = []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}`)
	if v := gate.VEX(&bad, subject.Name, digest); v != nil {
		t.Fatalf("an unreadable VEX gave %+v", v)
	}
	// The scan conversion passes aliases on, so a VEX naming the GHSA id
	// covers the CVE finding.
	sst, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, vuln.Predicate(vuln.Scan{
		Scanner: vuln.Scanner{Name: "trivy", URI: "pkg:github/aquasecurity/trivy"}, Time: at, Findings: []vuln.Finding{xzFinding}}))
	if err != nil {
		t.Fatal(err)
	}
	if sc := gate.Scan(sst); sc == nil || !slices.Equal(sc.Findings[0].Aliases, xzFinding.Aliases) {
		t.Fatalf("scan for policy = %+v", sc)
	}
}
