package compliance_test

import (
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
)

// BenchmarkReport measures a report of one deploy decision — assessing it
// and writing it as OSCAL — beside its peer, the built-in library's
// evaluation of that decision, in the same run: the report should cost a
// small fraction of deciding.
func BenchmarkReport(b *testing.B) {
	ctx := b.Context()
	signer := policy.Signer{SAN: "https://ci.example/acme/app/release@refs/heads/main", Issuer: "https://issuer.example"}
	eval, err := policy.New(ctx, policy.BuiltinWith(policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:  []policy.AllowedSigner{{SAN: signer.SAN, Issuer: signer.Issuer}},
		Builders: []string{"https://ci.example/builder"},
		Sources:  []string{"git.example/acme/app"},
	}}))
	if err != nil {
		b.Fatal(err)
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
	d, err := eval.Evaluate(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	cat := builtin(b)
	dec := compliance.Decision{ID: "evt-1", Action: "deploy", Subject: digest, Allowed: d.PolicyAllowed, Violations: d.Violations,
		PolicyRevision: d.Revision, Time: t0, Evidence: []compliance.Evidence{{PredicateType: provType, Digest: digest, Signer: signer.SAN}}}

	b.Run("peer=evaluate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := eval.Evaluate(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("assess", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := compliance.Assess(cat, "app", t0, dec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("assess+oscal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := compliance.Assess(cat, "app", t0, dec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.OSCAL(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
