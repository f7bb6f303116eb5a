package compliance_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
)

// A deploy decision of the built-in library, as the gate makes it, becomes
// a compliance report: every control of SSDF, SLSA and PCI DSS 6 with its
// status and evidence, as OSCAL assessment results and as text.
func Example() {
	ctx := context.Background()
	signer := policy.Signer{SAN: "https://ci.example/acme/app/release@refs/heads/main", Issuer: "https://issuer.example"}
	eval, err := policy.New(ctx, policy.BuiltinWith(policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:  []policy.AllowedSigner{{SAN: signer.SAN, Issuer: signer.Issuer}},
		Builders: []string{"https://ci.example/builder"},
		Sources:  []string{"git.example/acme/app"},
	}}))
	if err != nil {
		panic(err)
	}
	defer eval.Close()
	digest := "sha256:" + strings.Repeat("ab", 32)
	d, err := eval.Evaluate(ctx, policy.Input{
		Action: policy.ActionDeploy,
		Job:    policy.Job{ID: "job-1", Repository: "acme/app", Ref: "refs/heads/main", Protected: true},
		Artifacts: []policy.Artifact{{Name: "registry.example/app", Digest: digest, Verified: true, Signer: signer,
			Attestations: []policy.Attestation{{PredicateType: "https://slsa.dev/provenance/v1", Signer: signer,
				Provenance: &policy.Provenance{BuilderID: "https://evil.example/builder", SourceRepository: "git+https://git.example/acme/app"}}}}},
	})
	if err != nil {
		panic(err) // could not decide: deny
	}

	cat, err := compliance.Builtin()
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	report, err := compliance.Assess(cat, "registry.example/app v1", at, compliance.Decision{
		ID: "audit-event-42", Action: "deploy", Subject: digest, Name: "registry.example/app:v1",
		Allowed: d.Allowed, Violations: d.Violations, PolicyRevision: d.Revision, Time: at,
		Evidence: []compliance.Evidence{{PredicateType: "https://slsa.dev/provenance/v1",
			Digest: "sha256:" + strings.Repeat("cd", 32), Signer: signer.SAN}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(report.Summary())
	for _, c := range report.Controls {
		if c.Status != compliance.NotAssessed && c.Control.Framework == "slsa-build" {
			fmt.Println(c.Status, c.Control.ID, c.Decisions)
		}
	}
	oscal, err := report.OSCAL()
	if err != nil {
		panic(err)
	}
	// oscal goes to the assessor's OSCAL tooling; report.WriteText to people.
	doc, err := compliance.ParseOSCAL(oscal)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(doc.AssessmentResults.Results[0].Findings), "findings, OSCAL", doc.AssessmentResults.Metadata.OSCALVersion)
	// Output:
	// 8 pass, 2 fail, 11 not assessed
	// pass SLSA-BUILD-L1.provenance-exists [audit-event-42]
	// pass SLSA-BUILD-L2.provenance-authentic [audit-event-42]
	// fail SLSA-BUILD-L2.hosted [audit-event-42]
	// pass SLSA-VERIFY.expectations [audit-event-42]
	// 21 findings, OSCAL 1.1.3
}
