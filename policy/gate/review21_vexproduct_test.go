package gate_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// productStatement is vexStatement about the products given.
func productStatement(status vex.Status, t time.Time, products ...vex.Product) vex.Statement {
	s := vexStatement("sha256:"+strings.Repeat("0", 64), status, t)
	s.Products = products
	return s
}

func purlProduct(purl string) vex.Product {
	return vex.Product{Component: vex.Component{ID: purl}}
}

// TestReview21VEXContraryProduct: the gate chose the VEX statements about
// an artifact by OpenVEX's exact product match, so a later "affected"
// about pkg:oci/app?repository_url=…&tag=v1 (the artifact's own package
// URL has no tag qualifier) never reached policy, and an earlier
// not_affected by digest kept lifting the finding. A statement that may
// cancel a lift now reaches policy when it may be about the artifact; a
// lifting statement still needs the exact match, and a contrary statement
// about another image does not reach it.
func TestReview21VEXContraryProduct(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("c", 64)
	digest := "sha256:" + hex
	name := "registry.example/acme/app"
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tagged := purlProduct("pkg:oci/app?repository_url=" + name + "&tag=v1")
	stmts := []vex.Statement{
		productStatement(vex.StatusAffected, at, tagged),
		productStatement(vex.StatusUnderInvestigation, at, purlProduct("pkg:oci/App")),
		productStatement(vex.StatusAffected, at, purlProduct("pkg:deb/debian/xz-utils@5.6.0")),
		productStatement(vex.StatusAffected, at, vex.Product{Component: vex.Component{ID: "https://acme.example/products/app"}}),
		// Not about this artifact: another image's name, another digest.
		productStatement(vex.StatusAffected, at, purlProduct("pkg:oci/other?tag=v1")),
		productStatement(vex.StatusAffected, at, purlProduct("pkg:oci/app@sha256%3A"+strings.Repeat("d", 64))),
		productStatement(vex.StatusAffected, at, vex.Product{Component: vex.Component{ID: "https://acme.example/products/app", Hashes: map[string]string{"sha-256": strings.Repeat("d", 64)}}}),
		// A lifting statement needs the exact match.
		productStatement(vex.StatusFixed, at, tagged),
	}
	pred, err := vexPredicate(stmts...)(identity.Identity{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: name, Digest: attest.DigestSet{"sha256": hex}}}, pred)
	if err != nil {
		t.Fatal(err)
	}
	got := gate.VEX(st, name, digest)
	ts := "2026-12-01T00:00:00Z"
	want := &policy.VEX{Statements: []policy.VEXStatement{
		{Vulnerability: "CVE-2024-3094", Status: "affected", Timestamp: ts},
		{Vulnerability: "CVE-2024-3094", Status: "under_investigation", Timestamp: ts},
		{Vulnerability: "CVE-2024-3094", Status: "affected", Timestamp: ts, Subcomponents: []string{"pkg:deb/debian/xz-utils@5.6.0"}},
		{Vulnerability: "CVE-2024-3094", Status: "affected", Timestamp: ts},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("VEX for policy = %+v\nwant %+v", got, want)
	}
}

// TestReview21VEXContraryProductDecide: through the gate on the built-in
// policy, a not_affected by digest lifts the finding, and a later
// "affected" naming the image by package URL with a tag qualifier, or
// naming the finding's package without its arch qualifier, cancels the
// lift; one about another image does not.
func TestReview21VEXContraryProductDecide(t *testing.T) {
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
	g := vexGate(t, lab, cfg)
	tok, err := lab.Token(ctx, mainJob)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, tc := range []struct {
		tag     string
		product func(p *gatetest.Published) vex.Product
		allowed bool
	}{
		{"vex-tagged", func(p *gatetest.Published) vex.Product {
			return purlProduct("pkg:oci/" + p.Name[strings.LastIndex(p.Name, "/")+1:] + "?repository_url=" + p.Name + "&tag=v1")
		}, false},
		{"vex-package", func(*gatetest.Published) vex.Product { return purlProduct("pkg:deb/debian/xz-utils@5.6.0") }, false},
		{"vex-elsewhere", func(*gatetest.Published) vex.Product { return purlProduct("pkg:oci/other-app?tag=v1") }, true},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			t.Parallel()
			p, err := lab.Publish(ctx, mainJob, tc.tag)
			if err != nil {
				t.Fatal(err)
			}
			if err := lab.Attach(ctx, mainJob, p, scanPredicate(now, xzFinding)); err != nil {
				t.Fatal(err)
			}
			if err := lab.Attach(ctx, mainJob, p, vexPredicate(vexStatement(p.Digest, vex.StatusNotAffected, now.Add(-time.Hour)))); err != nil {
				t.Fatal(err)
			}
			decide := func() gate.Decision {
				d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: p.Image})
				if err != nil {
					t.Fatalf("Decide: %v", err)
				}
				return d
			}
			if d := decide(); !d.Allowed {
				t.Fatalf("after a signed not_affected by digest: %s", d)
			}
			if err := lab.Attach(ctx, mainJob, p, vexPredicate(productStatement(vex.StatusAffected, now, tc.product(p)))); err != nil {
				t.Fatal(err)
			}
			if d := decide(); d.Allowed != tc.allowed {
				t.Fatalf("after a later affected about %v: %s, want allowed %v", tc.product(p).ID, d, tc.allowed)
			}
		})
	}
}
