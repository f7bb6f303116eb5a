package compliance_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

const (
	provType = "https://slsa.dev/provenance/v1"
	scanType = "https://in-toto.io/attestation/vulns/v0.1"
	spType   = "https://ztci.dev/secrets-provenance/v1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func builtin(t testing.TB) *compliance.Catalog {
	t.Helper()
	cat, err := compliance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func status(t *testing.T, r *compliance.Report) map[string]compliance.Status {
	t.Helper()
	out := map[string]compliance.Status{}
	for _, c := range r.Controls {
		out[c.Control.ID] = c.Status
	}
	return out
}

func deployDecision(id string, evidence []string, violations ...string) compliance.Decision {
	d := compliance.Decision{ID: id, Action: "deploy", Subject: "sha256:" + strings.Repeat("ab", 32), Name: "registry.example/app",
		Allowed: len(violations) == 0, PolicyRevision: "rev-1", Time: t0}
	for i, pt := range evidence {
		d.Evidence = append(d.Evidence, compliance.Evidence{PredicateType: pt, Digest: "sha256:" + strings.Repeat(string(rune('0'+i)), 64), Signer: "https://ci.example/release"})
	}
	for _, v := range violations {
		d.Violations = append(d.Violations, policy.Violation{Rule: v, Message: v + " fired"})
	}
	return d
}

func TestAssess(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	tests := []struct {
		name      string
		decisions []compliance.Decision
		want      map[string]compliance.Status
		unmapped  int
	}{
		{
			name:      "allowed deploy with provenance only",
			decisions: []compliance.Decision{deployDecision("d1", []string{provType})},
			want: map[string]compliance.Status{
				"SSDF-PS.2.1": compliance.Pass, "SLSA-BUILD-L2.provenance-authentic": compliance.Pass, "SLSA-BUILD-L1.provenance-exists": compliance.Pass,
				// the scan rules need a scan, the secrets rules a secrets provenance
				"SSDF-RV.1.1": compliance.NotAssessed, "PCI-DSS-6.3.3": compliance.NotAssessed, "SSDF-PO.5.1": compliance.NotAssessed,
				// no pipeline, kubernetes or terraform decision
				"SSDF-PW.9.2": compliance.NotAssessed, "PCI-DSS-6.5.1": compliance.NotAssessed,
			},
		},
		{
			name:      "allowed deploy with scan and secrets provenance",
			decisions: []compliance.Decision{deployDecision("d1", []string{provType, scanType, spType})},
			want: map[string]compliance.Status{
				"SSDF-RV.1.1": compliance.Pass, "SSDF-RV.2.2": compliance.Pass, "PCI-DSS-6.3.3": compliance.Pass,
				"SSDF-PO.5.1": compliance.Pass, "PCI-DSS-6.5.4": compliance.Pass,
			},
		},
		{
			name:      "a violation fails its controls, the others still pass",
			decisions: []compliance.Decision{deployDecision("d1", []string{provType, scanType}, "deploy.vulnerability")},
			want: map[string]compliance.Status{
				"SSDF-RV.2.2": compliance.Fail, "PCI-DSS-6.3.3": compliance.Fail, "SSDF-PW.4.4": compliance.Fail,
				"SSDF-RV.1.1": compliance.Pass, "SSDF-PS.2.1": compliance.Pass,
			},
		},
		{
			name: "one failing decision fails the control of a release",
			decisions: []compliance.Decision{
				deployDecision("d1", []string{provType}),
				deployDecision("d2", []string{provType}, "deploy.signer_not_allowed"),
			},
			want: map[string]compliance.Status{"SSDF-PS.2.1": compliance.Fail, "SLSA-BUILD-L1.provenance-exists": compliance.Pass},
		},
		{
			// Fail closed per artifact: a control holds for a release
			// only if every decision that should judge it did.
			name: "an artifact never decided keeps the release's controls from passing",
			decisions: []compliance.Decision{
				deployDecision("d1", []string{provType, scanType}),
				{ID: "d2", Action: "deploy", Subject: "sha256:" + strings.Repeat("cd", 32)},
			},
			want: map[string]compliance.Status{"SSDF-PS.2.1": compliance.NotAssessed, "SLSA-BUILD-L1.provenance-exists": compliance.NotAssessed,
				"SSDF-RV.1.1": compliance.NotAssessed, "SSDF-PW.9.2": compliance.NotAssessed},
		},
		{
			name: "an artifact without a scan keeps the scan controls of the release from passing",
			decisions: []compliance.Decision{
				deployDecision("d1", []string{provType, scanType}),
				deployDecision("d2", []string{provType}),
			},
			want: map[string]compliance.Status{"SSDF-PS.2.1": compliance.Pass, "SSDF-RV.1.1": compliance.NotAssessed, "PCI-DSS-6.3.3": compliance.NotAssessed},
		},
		{
			name: "a failing artifact fails the control even beside one never decided",
			decisions: []compliance.Decision{
				deployDecision("d1", []string{provType, scanType}, "deploy.vulnerability"),
				{ID: "d2", Action: "deploy", Subject: "sha256:" + strings.Repeat("cd", 32)},
			},
			want: map[string]compliance.Status{"SSDF-RV.2.2": compliance.Fail, "SSDF-RV.1.1": compliance.NotAssessed},
		},
		{
			name:      "input validation makes the decision assess nothing but what it fails",
			decisions: []compliance.Decision{deployDecision("d1", []string{provType}, "deploy.malformed", "deploy.unprotected_ref")},
			want: map[string]compliance.Status{
				"SSDF-PS.1.1": compliance.Fail, "PCI-DSS-6.2.3": compliance.Fail,
				"SSDF-PS.2.1": compliance.NotAssessed, "SLSA-BUILD-L1.provenance-exists": compliance.NotAssessed,
			},
		},
		{
			name:      "a rule the catalog does not map makes the decision inconclusive",
			decisions: []compliance.Decision{deployDecision("d1", []string{provType}, "acme.custom")},
			want:      map[string]compliance.Status{"SSDF-PS.2.1": compliance.NotAssessed},
			unmapped:  1,
		},
		{
			name: "a warn-mode allow with violations still fails",
			decisions: []compliance.Decision{func() compliance.Decision {
				d := deployDecision("d1", []string{provType}, "deploy.builder_not_allowed")
				d.Allowed = true
				return d
			}()},
			want: map[string]compliance.Status{"SLSA-BUILD-L2.hosted": compliance.Fail, "SSDF-PO.3.2": compliance.Fail},
		},
		{
			name:      "other actions judge their own controls",
			decisions: []compliance.Decision{{ID: "p1", Action: "pipeline.run", Allowed: true}, {ID: "k1", Action: "kubernetes.admit", Violations: []policy.Violation{{Rule: "kubernetes.privileged"}}}},
			want: map[string]compliance.Status{
				"SSDF-PW.4.1": compliance.Pass, "SLSA-BUILD-L3.isolated": compliance.Pass, "PCI-DSS-6.5.1": compliance.Pass,
				"SSDF-PW.9.2": compliance.Fail, "SSDF-PS.2.1": compliance.NotAssessed,
			},
		},
		{
			name:      "an unknown action judges nothing",
			decisions: []compliance.Decision{{ID: "x1", Action: "launch.rocket", Allowed: true}},
			want:      map[string]compliance.Status{"SSDF-PS.2.1": compliance.NotAssessed, "SSDF-PW.9.2": compliance.NotAssessed},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := compliance.Assess(cat, "release v1", t0, tc.decisions...)
			if err != nil {
				t.Fatal(err)
			}
			got := status(t, r)
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s: %s, want %s", id, got[id], want)
				}
			}
			if len(r.Unmapped) != tc.unmapped {
				t.Errorf("unmapped = %v, want %d", r.Unmapped, tc.unmapped)
			}
			if len(r.Controls) != len(cat.Controls()) {
				t.Errorf("report names %d controls, catalog has %d", len(r.Controls), len(cat.Controls()))
			}
			for _, c := range r.Controls {
				if (c.Status == compliance.NotAssessed) != (len(c.Decisions) == 0 || c.Status != compliance.Fail && len(c.Unassessed) > 0) {
					t.Errorf("%s: status %s with decisions %v, unassessed by %v", c.Control.ID, c.Status, c.Decisions, c.Unassessed)
				}
				if (c.Status == compliance.Fail) != (len(c.Failures) > 0) {
					t.Errorf("%s: status %s with failures %v", c.Control.ID, c.Status, c.Failures)
				}
			}
		})
	}
}

func TestAssessEvidence(t *testing.T) {
	t.Parallel()
	r, err := compliance.Assess(builtin(t), "app", t0,
		deployDecision("d1", []string{provType, scanType}), deployDecision("d2", []string{provType}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Controls {
		switch c.Control.ID {
		case "SSDF-PS.2.1":
			if strings.Join(c.Decisions, ",") != "d1,d2" || len(c.Evidence) != 2 {
				t.Errorf("PS.2.1: decisions %v, evidence %v", c.Decisions, c.Evidence)
			}
		case "SSDF-RV.1.1":
			if strings.Join(c.Decisions, ",") != "d1" || len(c.Evidence) != 2 || c.Evidence[1].PredicateType != scanType {
				t.Errorf("RV.1.1: decisions %v, evidence %v", c.Decisions, c.Evidence)
			}
		}
	}
}

func TestAssessRefuses(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	ok := deployDecision("d1", nil)
	tests := []struct {
		name      string
		cat       *compliance.Catalog
		title     string
		decisions []compliance.Decision
	}{
		{"no catalog", nil, "t", []compliance.Decision{ok}},
		{"no title", cat, "", []compliance.Decision{ok}},
		{"no id", cat, "t", []compliance.Decision{{Action: "deploy"}}},
		{"repeated id", cat, "t", []compliance.Decision{ok, ok}},
		{"no action", cat, "t", []compliance.Decision{{ID: "d"}}},
		{"evidence without type", cat, "t", []compliance.Decision{{ID: "d", Action: "deploy", Evidence: []compliance.Evidence{{Digest: "sha256:00"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := compliance.Assess(tc.cat, tc.title, t0, tc.decisions...); !errors.Is(err, compliance.ErrDecision) {
				t.Fatalf("err = %v, want ErrDecision", err)
			}
		})
	}
}

// A real decision of the built-in library, through the report.
func TestAssessRealDecision(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	signer := policy.Signer{SAN: "https://ci.example/acme/app/release@refs/heads/main", Issuer: "https://issuer.example"}
	eval, err := policy.New(ctx, policy.BuiltinWith(policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:  []policy.AllowedSigner{{SAN: signer.SAN, Issuer: signer.Issuer}},
		Builders: []string{"https://ci.example/builder"},
		Sources:  []string{"git.example/acme/app"},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	digest := "sha256:" + strings.Repeat("ab", 32)
	in := policy.Input{
		Action: policy.ActionDeploy,
		Job:    policy.Job{ID: "job-1", Repository: "acme/app", Ref: "refs/heads/main", Protected: true},
		Artifacts: []policy.Artifact{{Name: "registry.example/app", Digest: digest, Verified: true, Signer: signer,
			Attestations: []policy.Attestation{{PredicateType: provType, Signer: signer,
				Provenance: &policy.Provenance{BuilderID: "https://ci.example/builder", SourceRepository: "git+https://git.example/acme/app"}}}}},
	}
	allow, err := eval.Evaluate(ctx, in)
	if err != nil || !allow.Allowed {
		t.Fatalf("allow: %v %v", allow, err)
	}
	in.Artifacts[0].Attestations[0].Provenance.BuilderID = "https://evil.example/builder"
	deny, err := eval.Evaluate(ctx, in)
	if err != nil || deny.Allowed {
		t.Fatalf("deny: %v %v", deny, err)
	}
	ev := []compliance.Evidence{{PredicateType: provType, Digest: "sha256:" + strings.Repeat("cd", 32), Signer: signer.SAN}}
	for _, tc := range []struct {
		d    policy.Decision
		want compliance.Status
	}{{allow, compliance.Pass}, {deny, compliance.Fail}} {
		r, err := compliance.Assess(builtin(t), "app", t0, compliance.Decision{ID: "evt-1", Action: "deploy", Subject: digest,
			Allowed: tc.d.Allowed, Violations: tc.d.Violations, PolicyRevision: tc.d.Revision, Time: t0, Evidence: ev})
		if err != nil {
			t.Fatal(err)
		}
		if got := status(t, r)["SLSA-BUILD-L2.hosted"]; got != tc.want {
			t.Errorf("%s: SLSA-BUILD-L2.hosted %s, want %s", tc.d, got, tc.want)
		}
		if got := status(t, r)["SSDF-PS.2.1"]; got != compliance.Pass {
			t.Errorf("%s: SSDF-PS.2.1 %s, want pass", tc.d, got)
		}
	}
}

// Reports of every shape validate against NIST's OSCAL 1.1.3 schema, read
// back with ParseOSCAL, and write the same bytes every time.
func TestOSCALValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	weird := deployDecision("evt \n 3", []string{provType, "https://example.com/custom"}, "deploy.vulnerability", "acme.custom")
	weird.Name, weird.Time, weird.PolicyRevision = "  spaced\tname ", time.Time{}, "rev with spaces/ü"
	weird.Evidence[1].Digest, weird.Evidence[1].Signer = "", ""
	sets := map[string][]compliance.Decision{
		"none":    nil,
		"allow":   {deployDecision("evt-1", []string{provType, scanType, spType})},
		"release": {deployDecision("evt-1", []string{provType}), deployDecision("evt-2", []string{provType}, "deploy.signer_not_allowed"), {ID: "p", Action: "pipeline.run", Allowed: true, Time: t0.Add(time.Minute)}},
		"weird":   {weird},
	}
	for name, ds := range sets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := compliance.Assess(cat, "release "+name, t0, ds...)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := r.OSCAL()
			if err != nil {
				t.Fatal(err)
			}
			if err := compliancetest.ValidateOSCAL(raw); err != nil {
				t.Fatalf("OSCAL schema: %v\n%s", err, raw)
			}
			back, err := compliance.ParseOSCAL(raw)
			if err != nil {
				t.Fatalf("ParseOSCAL: %v", err)
			}
			res := back.AssessmentResults.Results[0]
			if len(res.Findings) != len(cat.Controls()) || len(res.Observations) != len(ds) {
				t.Errorf("%d findings, %d observations", len(res.Findings), len(res.Observations))
			}
			again, _ := r.OSCAL()
			if !bytes.Equal(raw, again) {
				t.Error("OSCAL is not deterministic")
			}
		})
	}
}

func TestParseOSCALRefuses(t *testing.T) {
	t.Parallel()
	r, err := compliance.Assess(builtin(t), "app", t0, deployDecision("evt-1", []string{provType}))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := r.OSCAL()
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	first := func(key string) string { // the first `"key":"value"` of the document
		i := strings.Index(doc, `"`+key+`":"`)
		if i < 0 {
			t.Fatalf("no %s in %s", key, doc)
		}
		j := strings.Index(doc[i+len(key)+4:], `"`)
		return doc[i : i+len(key)+4+j+1]
	}
	tests := []struct{ name, old, new string }{
		{"unknown member", `"version":`, `"colour":"red","version":`},
		{"case variant", `"oscal-version"`, `"OSCAL-version"`},
		{"null", first("title"), `"title":null`},
		{"bad uuid", first("uuid"), `"uuid":"not-a-uuid"`},
		{"empty title", first("title"), `"title":""`},
		{"bad time", first("last-modified"), `"last-modified":"yesterday"`},
		{"bad state", `"state":"satisfied"`, `"state":"fine"`},
		{"bad control id", first("control-id"), `"control-id":"1 bad"`},
		{"value with a line break", first("value"), `"value":"a\nb"`},
		{"dangling observation", first("observation-uuid"), `"observation-uuid":"00000000-0000-4000-8000-000000000000"`},
		{"no results", `"results":[`, `"results":[],"x":[`},
		{"trailing data", "}\n", "}{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bad := strings.Replace(doc, tc.old, tc.new, 1)
			if bad == doc {
				t.Fatal("replacement did not apply")
			}
			if _, err := compliance.ParseOSCAL([]byte(bad)); !errors.Is(err, compliance.ErrOSCAL) {
				t.Fatalf("err = %v, want ErrOSCAL", err)
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	r, err := compliance.Assess(builtin(t), "app\nv1", t0,
		deployDecision("evt-1", []string{provType}, "deploy.signer_not_allowed", "acme.custom"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Compliance report: app v1\n",
		"FAIL  SSDF-PS.2.1",
		"- evt-1 deploy.signer_not_allowed: deploy.signer_not_allowed fired",
		"N/A   SSDF-PW.9.2",
		"evidence: " + provType,
		"rules the catalog does not map",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

// TestUndecidedPassesNothing: a deny without violations is a request the
// policy did not decide (an undecided gate request still lists the
// evidence it verified); it must pass no control.
func TestUndecidedPassesNothing(t *testing.T) {
	t.Parallel()
	cat, err := compliance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	d := deployDecision("undecided", []string{provType, scanType, spType})
	d.Allowed = false
	rep, err := compliance.Assess(cat, "t", t0, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Controls {
		if c.Status == compliance.Pass {
			t.Errorf("control %s passed on an undecided request", c.Control.ID)
		}
	}
	d.Allowed = true
	if rep, err = compliance.Assess(cat, "t", t0, d); err != nil || !slices.ContainsFunc(rep.Controls, func(c compliance.ControlResult) bool { return c.Status == compliance.Pass }) {
		t.Fatalf("the same decision allowed passes nothing: %v", err)
	}
}
