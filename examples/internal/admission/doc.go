// Package admission is the deploy gate shared by examples/gate (as an HTTP
// service) and examples/runner (called in process): it verifies the deploying
// job's token, verifies an image's attestations in its OCI registry (or
// bundles given inline), evaluates the deploy policy and audits the decision.
//
// Main types: Gate (New, Gate.Decide, Gate.Handler), Request and Response
// (the JSON contract), TokenVerifier (the seam to identity/oidc).
//
//	g, _ := admission.New(tokens, []*verify.Verifier{provenance, sbom}, engine, auditLog,
//		admission.WithRegistries("registry.example"))
//	http.ListenAndServe(addr, g.Handler())
//
// # Security contract
//
//   - Fail closed: a Response is Allowed only when the job token verified,
//     the policy allowed, and the decision was audited. Anything that could
//     not be decided is a deny with Decision "error".
//   - Every decision for an authenticated job is audited (allow, deny, and
//     "error" when it could not be decided); an allow stands only once its
//     audit event was accepted. Unauthenticated requests are refused before
//     any work and are counted in metrics, not audited.
//   - Who asks is taken from the verified job token only, never from fields
//     of the request.
//   - Bundles are routed to the verifier of the predicate type they claim;
//     the claim is unverified and only routes, since that verifier's
//     expectation requires the type.
//   - Image references are pinned once (image.Verifier); Response.Digest is
//     what was verified and what must be deployed.
//   - With WithRegistries, references to other registries are refused before
//     any network access (no request-driven fetches from arbitrary hosts).
//   - Request bodies are bounded (http.MaxBytesReader), concurrent decisions
//     are bounded (503 when full), each decision has a deadline, and the job
//     token never appears in responses, logs, metrics or audit events.
package admission
