// Package job is the flow behind `go run ./examples/runner`, kept apart from
// main so that the runner and the end-to-end test run the same code.
//
// Run starts the runner's embedded services (OIDC issuer served over HTTP,
// code-signing CA, RFC 3161 TSA, SPIFFE issuer, an OCI registry with the
// referrers API, a tamper-evident audit log, the policy engine with the
// built-in library, a secrets broker with a redactor and a lease journal,
// and the deploy gate of package admission), then runs:
//
//  1. a release job on a protected ref: identity (job token → verified
//     identity, X.509-SVID), a policy-decided secret lease whose value is
//     masked in the job's log, an image built and pushed, SLSA provenance
//     and a CycloneDX SBOM signed with a short-lived certificate and a
//     trusted timestamp and attached through the referrers API, the gate
//     allowing the digest, and the lease revoked when the job ends;
//  2. the same job from an unprotected branch: its secret is refused and
//     the gate denies it (deploy.unprotected_ref,
//     deploy.source_ref_not_allowed) although its signature is genuine;
//  3. the release tag re-pushed with other content: denied
//     (deploy.unverified);
//
// and finally verifies the audit log with only its public key, checks an
// inclusion proof for the allowed decision, and confirms the secret value is
// absent from the log. Summary is the machine-readable outcome.
//
// Services points pieces at real services (SPIFFE Workload API, a registry,
// Fulcio, Rekor, a TSA, Vault); Services.Validate refuses combinations that
// cannot work. Lab exposes the same environment without the narration, for
// the gate's tests and load test.
package job
