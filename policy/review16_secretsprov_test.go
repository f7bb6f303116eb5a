package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview16SecretsProvenanceType: the rules read a secrets provenance
// only under its exact predicate type, where they judge any SLSA
// provenance type and any attestation carrying a provenance or scan
// summary. A signed summary saying a production credential reached a
// build on an unprotected ref, under "https://ztci.dev/secrets-provenance/v1 "
// or another version of the type, was passed over, and so was one that
// does not read.
func TestReview16SecretsProvenanceType(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Deploy.ProductionSecrets = []string{"prod/*"}
	e := newConfigured(t, cfg)
	build := func(typ string, protected bool, sp *policy.SecretsProvenance) policy.Input {
		if sp == nil {
			sp = &policy.SecretsProvenance{
				Job:         policy.BuildJob{ID: "build-1", Repository: "acme/app", Ref: "refs/heads/feature", RefProtected: protected},
				Credentials: []policy.Credential{{LeaseID: "lease-1", Backend: "vault", Secret: "prod/db"}},
			}
		}
		in := deployInput()
		in.Artifacts[0].Attestations = append(in.Artifacts[0].Attestations, policy.Attestation{
			PredicateType: typ, Signer: policy.Signer{SAN: releaseWF, Issuer: ghIssuer}, SecretsProvenance: sp})
		return in
	}
	for _, typ := range []string{
		"https://ztci.dev/secrets-provenance/v1 ",
		"https://ztci.dev/secrets-provenance/v2",
		"https://example.com/another-type",
	} {
		wantDeny(t, e, "production credential, unprotected build, type "+quote(typ), build(typ, false, nil), "deploy.production_secret_unprotected_ref")
		wantAllow(t, e, "production credential, protected build, type "+quote(typ), build(typ, true, nil))
	}
	wantDeny(t, e, "unreadable summary of another version", build("https://ztci.dev/secrets-provenance/v2", true, &policy.SecretsProvenance{}),
		"deploy.secrets_provenance_unreadable")
	wantAllow(t, e, "production credential, protected build", build("https://ztci.dev/secrets-provenance/v1", true, nil))
}
