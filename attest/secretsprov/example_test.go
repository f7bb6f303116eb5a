package secretsprov_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// A runner records the leases its job receives through the broker's lease
// ledger and states them, never their values, as secrets provenance beside
// the SLSA provenance of the build.
func Example() {
	ctx := context.Background()
	ledger, err := secrets.NewLeaseLedger("static")
	if err != nil {
		panic(err)
	}
	// For the example only: AllowNames gives the secret to any job, Static
	// values never expire, and the ledger passes events to no audit log
	// (policy.SecretsAuthorizer, a short-lived backend and
	// ledger.Sink(auditLog) in production).
	broker, err := secrets.New(ledger.Authorizer(secrets.AllowNames("prod/deploy-token")),
		secrets.Static{"prod/deploy-token": "tok-7f3a9c1e5b2d"}, secrets.WithAudit(ledger.Sink(nil)))
	if err != nil {
		panic(err)
	}
	id := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true}}

	err = broker.Run(ctx, secrets.JobSpec{ID: "build-42", Identity: id}, func(ctx context.Context, job *secrets.Job) error {
		_, err := job.Lease(ctx, "prod/deploy-token")
		return err // the build runs here; the lease is revoked when the job ends
	})
	if err != nil { // the build failed, or a lease could not be revoked: no provenance
		fmt.Println(err)
		return
	}

	p, err := secretsprov.New(id, secretsprov.Run{JobID: "build-42", SPIFFEID: "spiffe://ci.example/ci/acme/app/build"},
		secretsprov.Credentials(ledger.Job("build-42")))
	if err != nil {
		fmt.Println(err)
		return
	}
	ledger.Forget("build-42")
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("ab", 32)}}}, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Sign st with attest.Sign, like the SLSA provenance. A gate reads the
	// verified predicate back with Parse.
	back, err := secretsprov.Parse(st.Predicate)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := back.Credentials[0]
	fmt.Println(st.PredicateType)
	fmt.Println(back.Job.Ref, "protected:", back.Job.RefProtected)
	fmt.Println(c.Secret, c.Backend, strings.HasPrefix(c.LeaseID, "ztci_"), c.RevokedOn != nil)
	fmt.Println("value in the statement:", strings.Contains(string(st.Predicate), "tok-7f3a9c1e5b2d"))
	// Output:
	// https://ztci.dev/secrets-provenance/v1
	// refs/heads/main protected: true
	// prod/deploy-token static true true
	// value in the statement: false
}
