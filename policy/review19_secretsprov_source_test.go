package policy_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
)

// A secrets provenance tells which credentials reached one build, but the
// rules did not ask which: one signed for a job of another repository (a
// clean one, attached after whoever can write to the registry removed the
// build's own) satisfied require_secrets_provenance and hid a production
// credential in an unprotected build. Its job's repository, and the
// repository its certificate names, must be an allowed source.
func TestReview19SecretsProvenanceOfAnotherRepository(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Deploy.ProductionSecrets = []string{"prod/*"}
	cfg.Deploy.RequireSecretsProvenance = true
	e := newConfigured(t, cfg)
	build := func(jobRepo, certRepo string) policy.Input {
		signer := policy.Signer{SAN: releaseWF, Issuer: ghIssuer}
		if certRepo != "" {
			signer.Claims = identity.Claims{Repository: certRepo}
		}
		in := deployInput()
		in.Artifacts[0].Attestations = append(in.Artifacts[0].Attestations, policy.Attestation{
			PredicateType: "https://ztci.dev/secrets-provenance/v1", Signer: signer,
			SecretsProvenance: &policy.SecretsProvenance{
				Job:         policy.BuildJob{ID: "build-1", Repository: jobRepo, Ref: "refs/heads/main", RefProtected: true},
				Credentials: []policy.Credential{{LeaseID: "lease-1", Backend: "vault", Secret: "ci/npm"}},
			}})
		return in
	}
	wantAllow(t, e, "the build's own repository", build("acme/app", ""))
	wantAllow(t, e, "the build's own repository, certificate too", build("acme/app", "https://github.com/acme/app"))
	wantDeny(t, e, "another repository's job", build("evil/app", ""), "deploy.source_not_allowed")
	wantDeny(t, e, "a job naming no repository", build("", ""), "deploy.source_not_allowed")
	wantDeny(t, e, "signed by a job of another repository", build("acme/app", "https://github.com/evil/app"), "deploy.source_not_allowed")
}
