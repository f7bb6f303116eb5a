// Package ztci is an embeddable SDK that makes CI/CD pipelines zero-trust.
//
// It is written for the people who build CI systems — hosted CI, runners,
// schedulers, deploy gates — and is meant to be composed into their code, not
// run as a service. Zero trust here means that no job, runner, artifact or
// request is trusted because of where it comes from: each is verified
// explicitly, every time, is given the least privilege it needs for the
// shortest time, and leaves an audit trail.
//
// This package holds only documentation. The SDK is a set of independent
// packages with small interfaces at their seams:
//
//   - [github.com/ztci/ztci/identity]: who a workload is — OIDC job tokens
//     (issuer and verifier), SPIFFE SVIDs (Workload API or an embedded
//     issuer), mTLS between pipeline stages, least-privilege permissions.
//   - [github.com/ztci/ztci/attest]: what was built — in-toto statements, SLSA
//     provenance, SBOM and test predicates, signed into Sigstore bundles with
//     keys, an embedded private CA, or Fulcio; trusted timestamps.
//   - [github.com/ztci/ztci/verify]: is it what it claims — offline Sigstore
//     bundle verification against explicit expectations.
//   - [github.com/ztci/ztci/policy]: may it proceed — OPA/Rego gates whose
//     decisions explain themselves.
//   - [github.com/ztci/ztci/secrets]: just-in-time, job-scoped credentials and
//     streaming redaction of secret values from logs.
//   - [github.com/ztci/ztci/audit]: who did what — structured events, a
//     tamper-evident log, and sinks a SIEM can take.
//
// Each package pays only for its own job: importing identity or audit does not
// link OPA, sigstore-go or go-containerregistry, and importing policy does not
// link sigstore-go. Backends that need heavy dependencies live in subpackages
// named after the system they adapt. The examples directory composes the
// packages into a runner, a deploy gate and a Sigstore conformance client.
package ztci
