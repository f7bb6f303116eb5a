package gate_test

import (
	"reflect"
	"strconv"
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

// TestReview38VEXLastUpdatedConversion: the gate handed policy a VEX
// statement's timestamp only; OpenVEX's last_updated (when the statement
// was last changed), the statement's or the document's, never reached it.
// It now does: the statement's own, else the document's, absent when
// neither has one; the timestamp stays the statement's own, else the
// document's.
func TestReview38VEXLastUpdatedConversion(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("c", 64)
	digest := "sha256:" + hex
	name := "registry.example/acme/app"
	product := `{"@id":"pkg:oci/app@sha256%3A` + hex + `"}`
	stmt := func(status, dates string) string {
		extra := `"justification":"vulnerable_code_not_in_execute_path"`
		if status == "affected" {
			extra = `"action_statement":"upgrade xz-utils"`
		}
		return `{"vulnerability":{"name":"CVE-2024-3094"},"products":[` + product + `],"status":"` + status + `",` + extra + dates + `}`
	}
	doc := func(docDates string, stmts ...string) *attest.Statement {
		return &attest.Statement{
			Type:          attest.StatementTypeV1,
			Subject:       []attest.ResourceDescriptor{{Name: name, Digest: attest.DigestSet{"sha256": hex}}},
			PredicateType: vex.PredicateType,
			Predicate: []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vex.acme.example/app","author":"Acme PSIRT",` +
				`"version":1` + docDates + `,"statements":[` + strings.Join(stmts, ",") + `]}`),
		}
	}
	for _, tc := range []struct {
		name string
		st   *attest.Statement
		want []policy.VEXStatement
	}{
		{
			name: "statement's own last_updated, document without",
			st:   doc(`,"timestamp":"2026-12-01T00:00:00Z"`, stmt("affected", `,"timestamp":"2026-12-01T01:00:00Z","last_updated":"2026-12-01T03:00:00+01:00"`)),
			want: []policy.VEXStatement{{Vulnerability: "CVE-2024-3094", Status: "affected", Timestamp: "2026-12-01T01:00:00Z", LastUpdated: "2026-12-01T02:00:00Z"}},
		},
		{
			name: "document's last_updated inherited, statement's own kept",
			st: doc(`,"timestamp":"2026-12-01T00:00:00Z","last_updated":"2026-12-01T05:00:00Z"`,
				stmt("affected", `,"timestamp":"2026-12-01T01:00:00Z"`),
				stmt("not_affected", `,"last_updated":"2026-12-01T04:00:00Z"`)),
			want: []policy.VEXStatement{
				{Vulnerability: "CVE-2024-3094", Status: "affected", Timestamp: "2026-12-01T01:00:00Z", LastUpdated: "2026-12-01T05:00:00Z"},
				{Vulnerability: "CVE-2024-3094", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Timestamp: "2026-12-01T00:00:00Z", LastUpdated: "2026-12-01T04:00:00Z"},
			},
		},
		{
			name: "neither has one",
			st:   doc(`,"timestamp":"2026-12-01T00:00:00Z"`, stmt("not_affected", "")),
			want: []policy.VEXStatement{{Vulnerability: "CVE-2024-3094", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Timestamp: "2026-12-01T00:00:00Z"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := gate.VEX(tc.st, name, digest)
			if got == nil || !reflect.DeepEqual(got.Statements, tc.want) {
				t.Fatalf("VEX for policy = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestReview38VEXLastUpdatedThroughTheGate: on the built-in policy, an
// "affected" statement whose timestamp is older than a not_affected but
// that was re-confirmed after it (its own last_updated, or its document's)
// keeps the finding denied; a not_affected re-confirmed after that lifts
// it again, and one whose last_updated lies in the future lifts nothing.
// Before, the gate passed the timestamp only and the not_affected lifted
// the finding.
func TestReview38VEXLastUpdatedThroughTheGate(t *testing.T) {
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
	now := time.Now().UTC().Truncate(time.Second)
	at := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	document := func(docUpdated time.Time, stmts ...vex.Statement) func(identity.Identity) (attest.Predicate, error) {
		return func(identity.Identity) (attest.Predicate, error) {
			return vex.Predicate(vex.Document{ID: "https://vex.acme.example/app", Author: "Acme PSIRT",
				Timestamp: stmts[0].Timestamp, LastUpdated: docUpdated, Version: 1, Statements: stmts}), nil
		}
	}
	updated := func(s vex.Statement, lu time.Time) vex.Statement {
		s.LastUpdated = lu
		return s
	}
	for i, tc := range []struct {
		name  string
		docs  func(digest string) []func(identity.Identity) (attest.Predicate, error)
		allow bool
	}{
		{"affected re-confirmed by its last_updated", func(d string) []func(identity.Identity) (attest.Predicate, error) {
			return []func(identity.Identity) (attest.Predicate, error){
				document(time.Time{}, updated(vexStatement(d, vex.StatusAffected, at(-3)), at(-1))),
				document(time.Time{}, vexStatement(d, vex.StatusNotAffected, at(-2))),
			}
		}, false},
		{"affected re-confirmed by its document's last_updated", func(d string) []func(identity.Identity) (attest.Predicate, error) {
			return []func(identity.Identity) (attest.Predicate, error){
				document(at(-1), vexStatement(d, vex.StatusAffected, at(-3))),
				document(time.Time{}, vexStatement(d, vex.StatusNotAffected, at(-2))),
			}
		}, false},
		{"not_affected re-confirmed after the affected", func(d string) []func(identity.Identity) (attest.Predicate, error) {
			return []func(identity.Identity) (attest.Predicate, error){
				document(time.Time{}, updated(vexStatement(d, vex.StatusAffected, at(-4)), at(-2))),
				document(time.Time{}, updated(vexStatement(d, vex.StatusNotAffected, at(-3)), at(-1))),
			}
		}, true},
		{"not_affected updated in the future", func(d string) []func(identity.Identity) (attest.Predicate, error) {
			return []func(identity.Identity) (attest.Predicate, error){
				document(time.Time{}, updated(vexStatement(d, vex.StatusNotAffected, at(-2)), at(1))),
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := lab.Publish(ctx, mainJob, "vexdate-"+strconv.Itoa(i))
			if err != nil {
				t.Fatal(err)
			}
			preds := append([]func(identity.Identity) (attest.Predicate, error){scanPredicate(time.Now(), xzFinding)}, tc.docs(p.Digest)...)
			for _, pred := range preds {
				if err := lab.Attach(ctx, mainJob, p, pred); err != nil {
					t.Fatal(err)
				}
			}
			d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: p.Image})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.allow {
				t.Fatalf("decision %s, want allowed %v", d, tc.allow)
			}
		})
	}
}
