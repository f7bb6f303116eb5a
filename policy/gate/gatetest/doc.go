// Package gatetest is a deploy environment in a box, for testing what a
// vendor builds around the deploy gate: an OIDC job-token issuer served over
// HTTP on 127.0.0.1, a code-signing CA and an RFC 3161 TSA (attest/ca,
// attest/tsa), an OCI registry with the referrers API, and the built-in
// policy configured to trust them — the role sigstore-go's VirtualSigstore
// plays for bundle verification, one level up.
//
//	lab, err := gatetest.Start(ctx)
//	defer lab.Close()
//	img, err := lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
//	g, err := lab.Gate(ctx, auditSink)
//	tok, err := lab.Token(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true})
//	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image})
//
// Publish does what a release job does: it builds an image, signs SLSA v1
// provenance (from the job's verified identity, attest.JobProvenance) and a
// CycloneDX SBOM with a short-lived certificate and a trusted timestamp, and
// attaches both to the image. An image published from a protected ref is
// allowed by the Lab's gate; one from an unprotected ref is denied by policy,
// although its signatures are genuine.
//
// # Security contract
//
// Everything a Lab trusts is generated in memory when it starts and lives
// only as long as it does; nothing is fetched from or trusted outside the
// process. The Lab's gate verifies without a transparency log and without
// SCTs (its CA logs nowhere) and requires an RFC 3161 timestamp instead: do
// not copy its verification options into a gate that trusts a public or
// logged CA. A Lab is for tests and demos, never production.
package gatetest
