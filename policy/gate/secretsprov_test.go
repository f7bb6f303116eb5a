package gate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

func secretsProvenance(jobID string, creds ...secretsprov.Credential) func(identity.Identity) (attest.Predicate, error) {
	return func(id identity.Identity) (attest.Predicate, error) {
		return secretsprov.New(id, secretsprov.Run{JobID: jobID}, creds)
	}
}

func lease(id, secret string) secretsprov.Credential {
	t := time.Now().UTC().Add(-time.Minute)
	return secretsprov.Credential{LeaseID: id, Backend: "vault", Secret: secret, DecisionID: "evt-" + id, PolicyRevision: "rev-1", IssuedOn: t}
}

// Through the gate, on the built-in policy: a build that received a
// production credential deploys when it was built on a protected ref and
// is denied when it was not; a build is allowed until one of its leases is
// marked compromised, and denied after, with the lease id in the reason.
func TestSecretsProvenanceThroughTheGate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	mainJob := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	feature := gatetest.Job{Ref: "refs/heads/feature/x", Protected: false}
	cfg := lab.PolicyConfig()
	cfg.Deploy.SourceRefs = nil // builds of any ref; the secrets rules decide
	cfg.Deploy.ProductionSecrets = []string{"prod/*"}
	cfg.Deploy.RequireSecretsProvenance = true
	leases := &marks{}
	g, err := lab.SecretsGate(ctx, cfg, audit.SinkFunc(func(context.Context, audit.Event) error { return nil }),
		gate.WithRevocations(gate.Revocations{Leases: leases}))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := lab.Token(ctx, mainJob) // the deploying job
	if err != nil {
		t.Fatal(err)
	}
	decide := func(t *testing.T, img string) gate.Decision {
		t.Helper()
		d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img})
		if err != nil {
			t.Fatalf("Decide(%s): %v", img, err)
		}
		return d
	}
	publish := func(t *testing.T, j gatetest.Job, tag string, creds ...secretsprov.Credential) string {
		t.Helper()
		p, err := lab.Publish(ctx, j, tag)
		if err != nil {
			t.Fatal(err)
		}
		if creds != nil {
			if err := lab.Attach(ctx, j, p, secretsProvenance(tag, creds...)); err != nil {
				t.Fatal(err)
			}
		}
		return p.Image
	}
	onlyRule := func(t *testing.T, d gate.Decision, rule string) {
		t.Helper()
		if r := d.Rules(); d.Allowed || len(r) != 1 || r[0] != rule {
			t.Fatalf("decision %s (attestations %+v), want a deny by %s only", d, d.Attestations, rule)
		}
	}

	t.Run("production credential", func(t *testing.T) {
		t.Parallel()
		if d := decide(t, publish(t, mainJob, "prod-main", lease("l-main", "prod/deploy"))); !d.Allowed {
			t.Fatalf("protected build with a production credential: %s", d)
		}
		if d := decide(t, publish(t, feature, "staging-feature", lease("l-stg", "staging/deploy"))); !d.Allowed {
			t.Fatalf("unprotected build with a staging credential: %s", d)
		}
		d := decide(t, publish(t, feature, "prod-feature", lease("l-prod-f", "prod/deploy")))
		onlyRule(t, d, "deploy.production_secret_unprotected_ref")
		if d.Violations[0].Value != "l-prod-f" || !strings.Contains(d.Violations[0].Message, `"refs/heads/feature/x"`) {
			t.Fatalf("violation %+v, want the lease and the ref named", d.Violations[0])
		}
	})
	t.Run("compromised lease", func(t *testing.T) {
		t.Parallel()
		img := publish(t, mainJob, "compromise", lease("l-ok", "db/ro"), lease("ztci_c0ffee", "prod/deploy"))
		if d := decide(t, img); !d.Allowed {
			t.Fatalf("before the mark: %s", d)
		}
		leases.mark("ztci_c0ffee")
		d := decide(t, img)
		onlyRule(t, d, "deploy.credential_compromised")
		if v := d.Violations[0]; v.Value != "ztci_c0ffee" || !strings.Contains(v.Message, `lease "ztci_c0ffee"`) {
			t.Fatalf("violation %+v, want the lease id named", v)
		}
	})
	t.Run("secrets provenance required", func(t *testing.T) {
		t.Parallel()
		onlyRule(t, decide(t, publish(t, mainJob, "no-secrets-prov")), "deploy.secrets_provenance_missing")
		if d := decide(t, publish(t, mainJob, "no-credentials", []secretsprov.Credential{}...)); !d.Allowed {
			t.Fatalf("a build that received no credential: %s", d)
		}
	})
}

func TestSecretsProvenanceConversion(t *testing.T) {
	t.Parallel()
	id := identity.Identity{Issuer: "https://ci.example", Subject: "s", Claims: identity.Claims{Ref: "refs/heads/main", RefProtected: true}}
	revoked := time.Date(2026, 12, 5, 8, 5, 0, 0, time.UTC)
	c := lease("l1", "prod/x")
	c.IssuedOn, c.RevokedOn = revoked.Add(-5*time.Minute), &revoked
	p, err := secretsprov.New(id, secretsprov.Run{JobID: "j"}, []secretsprov.Credential{c})
	if err != nil {
		t.Fatal(err)
	}
	sub := []attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("0", 64)}}}
	st, err := attest.NewStatement(sub, p)
	if err != nil {
		t.Fatal(err)
	}
	sp := gate.SecretsProvenance(st)
	if sp == nil || !sp.Job.RefProtected || sp.Job.Identity != id.ID() || len(sp.Credentials) != 1 ||
		sp.Credentials[0].LeaseID != "l1" || sp.Credentials[0].RevokedAt != "2026-12-05T08:05:00Z" || sp.Credentials[0].Compromised {
		t.Fatalf("SecretsProvenance = %+v", sp)
	}
	bad, err := attest.NewStatement(sub, attest.Custom(secretsprov.PredicateType, []byte(`{"job":{},"credentials":[],"extra":1}`)))
	if err != nil {
		t.Fatal(err)
	}
	if sp := gate.SecretsProvenance(bad); sp != nil {
		t.Fatalf("an unreadable predicate gave %+v, want nil", sp)
	}
}
