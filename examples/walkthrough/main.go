// Command walkthrough is one zero-trust job and one deploy decision wired
// from ztci's public packages only — what a CI vendor writes to compose
// identity, policy-gated secrets, attestations, the deploy gate and the
// audit log. Everything runs in process on 127.0.0.1:
//
//	go run ./examples/walkthrough
//
// The part above "glue" in run is setup (services a vendor already runs:
// an OIDC issuer, a CA and TSA, a registry, a key for the audit log); the
// glue below it is the whole job. examples/runner tells the same story with
// narration and options for real services.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/verify"
)

const (
	forge     = "https://git.example"
	signerSAN = forge + "/acme/app/.ztci/release.yml"
	builderID = "https://ci.example/runners/hosted@v1"
	buildType = "https://ci.example/build/v1"
	sourceURI = "git+https://git.example/acme/app"
	secret    = "deploy-token"
	canary    = "s3cr3t-canary-value"
)

func main() {
	// Every network call below takes ctx: Ctrl-C stops them, and none waits
	// longer than the whole walkthrough may take. A vendor's job has its
	// own deadline; a context without one lets a hung registry or issuer
	// hold the job (and its leases) forever.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, ""); err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

// run does the walkthrough, writing what happened to out; dir holds the
// audit log ("" for a temporary directory).
func run(ctx context.Context, out io.Writer, dir string) (err error) {
	// ---- setup: the services a vendor already runs ----
	if dir == "" {
		d, err := os.MkdirTemp("", "ztci-walkthrough-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(true)))
	defer reg.Close()
	issuerSrv := httptest.NewUnstartedServer(nil)
	issuerURL := "http://" + issuerSrv.Listener.Addr().String()
	redactor := secrets.NewRedactor()
	issuer, err := oidc.NewIssuer(issuerURL, oidc.WithMasker(redactor))
	if err != nil {
		return err
	}
	issuerSrv.Config.Handler = issuer.Handler()
	issuerSrv.Start()
	defer issuerSrv.Close()
	certs, err := ca.New(ca.WithSubjectDomain(issuerURL, forge)) // the job tokens name workflows on the forge
	if err != nil {
		return err
	}
	stamps, err := tsa.New()
	if err != nil {
		return err
	}
	_, auditKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	auditLog, err := audit.Open(ctx, filepath.Join(dir, "audit.log"), "ci.example/audit", auditKey)
	if err != nil {
		return err
	}
	// Close reports a write the log could not make durable: an audit
	// record lost must fail the run, not vanish in a deferred call.
	defer func() { err = errors.Join(err, auditLog.Close()) }()
	engine, err := policy.New(ctx, policy.BuiltinWith(policyConfig(issuerURL)))
	if err != nil {
		return err
	}
	defer engine.Close()

	// Each relying party accepts only tokens minted for its own audience: a
	// token the job hands to one service is useless at another.
	jobTokens, err := oidc.NewVerifier(issuerURL, "ztci-runner")
	if err != nil {
		return err
	}
	// The gate also accepts each token once: a deploy token copied from a
	// log or a proxy cannot be presented again. The replay cache is this
	// process's; replicas behind a load balancer share
	// identity/oidc/natsreplay or identity/oidc/pgreplay instead.
	tokens, err := oidc.NewVerifier(issuerURL, "ztci-gate", oidc.WithSingleUse(oidc.NewMemoryReplayCache(100_000, nil)))
	if err != nil {
		return err
	}
	// README:begin (the README's "Composed" section shows this region)
	// The deploy gate trusts the CA and TSA, and the release workflow as
	// signer of provenance from our builder and source.
	trustJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", certs).AddEmbeddedTSA("https://tsa.example", stamps).MarshalJSON()
	if err != nil {
		return err
	}
	trust, err := verify.ParseTrustedRoot(trustJSON)
	if err != nil {
		return err
	}
	// DEMO ONLY: a private CA and TSA with no transparency or CT log, so no
	// log entry and no SCT can be required; the TSA's signed timestamp
	// proves the signing time instead. With a public-good or Fulcio signer,
	// keep the defaults (one tlog entry, one SCT).
	vopts := []verify.Option{verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1)}
	signerID := verify.Identity{SAN: signerSAN, Issuer: issuerURL}
	provV, err := verify.New(trust, verify.Expectation{Signer: signerID, PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance: &verify.Provenance{BuilderID: builderID, SourceRepository: sourceURI}}, vopts...)
	if err != nil {
		return err
	}
	sbomV, err := verify.New(trust, verify.Expectation{Signer: signerID, PredicateType: attest.PredicateCycloneDX}, vopts...)
	if err != nil {
		return err
	}
	g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provV, attest.PredicateCycloneDX: sbomV},
		engine, auditLog, gate.WithRegistries(reg.Listener.Addr().String()))
	if err != nil {
		return err
	}
	// README:end

	// ---- glue: one job, one deploy decision ----
	// 1. Identity: the job's token, verified like any relying party would.
	claims := identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true,
		Commit: "0123456789abcdef0123456789abcdef01234567", WorkflowRef: "acme/app/.ztci/release.yml@refs/heads/main", RunID: "7", Event: "push"}
	jobTok, err := issuer.Mint(ctx, oidc.Job{Subject: signerSAN, Claims: claims}, "ztci-runner")
	if err != nil {
		return err
	}
	job, err := jobTokens.Verify(ctx, jobTok.Reveal())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "job:", job.ID())

	// 2. A secret, released by policy, masked in the job's log.
	// secrets.Static is for development: its leases have no TTL and
	// revoking one ends nothing at the source. Use a backend that issues
	// short-lived credentials (secrets/vault, secrets/postgres).
	broker, err := secrets.New(policy.SecretsAuthorizer(engine), secrets.Static(map[string]string{secret: canary}),
		secrets.WithMasker(redactor), secrets.WithAudit(auditLog))
	if err != nil {
		return err
	}
	// The job ends, and its leases are revoked, no later than its token
	// expires: no lease is asked for or renewed past this deadline.
	jobCtx, endJob := context.WithDeadline(ctx, jobTok.Expiry())
	defer endJob()
	var jobLog bytes.Buffer
	err = broker.Run(jobCtx, secrets.JobSpec{ID: "job-7", Identity: job}, func(ctx context.Context, sj *secrets.Job) error {
		lease, err := sj.Lease(ctx, secret)
		if err != nil {
			return err
		}
		v, err := lease.Value()
		if err != nil {
			return err
		}
		w := redactor.NewWriter(&jobLog)
		fmt.Fprintf(w, "login --token=%s\n", v.Reveal())
		return w.Close()
	})
	if err != nil {
		return err
	}
	fmt.Fprint(out, "job log: ", jobLog.String())

	// 3. Build, attest (SLSA provenance from the verified identity + SBOM),
	// attach to the image.
	img, err := random.Image(256, 1)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(reg.Listener.Addr().String() + "/acme/app:v1")
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return err
	}
	prov, err := attest.JobProvenance(job, attest.Build{BuilderID: builderID, BuildType: buildType, SourceURI: sourceURI})
	if err != nil {
		return err
	}
	signer, err := attest.NewCASigner(certs.IssuerFor(job), attest.WithEmbeddedTimestampAuthority(stamps.Handler()))
	if err != nil {
		return err
	}
	sbom := attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}`))
	// Attest names the image the job pushed (img), never what the tag
	// names by now.
	if _, err := attach.Attest(ctx, ref.Context(), img, signer, []attest.Predicate{prov, sbom}); err != nil {
		return err
	}

	// The deploy step gets its own token, for the gate's audience only.
	tok, err := issuer.Mint(ctx, oidc.Job{Subject: signerSAN, Claims: claims}, "ztci-gate")
	if err != nil {
		return err
	}
	// README:begin
	// 4. The gate decides on the image by tag; it pins the digest.
	allowed, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: ref.String()})
	if err != nil {
		return err
	}
	// README:end
	// Deploy on Allowed only: a deny, like any error, means do not deploy.
	if !allowed.Allowed {
		return fmt.Errorf("the gate denied the release: %v", allowed.Rules())
	}
	fmt.Fprintln(out, "gate, signed image:", allowed.Outcome, len(allowed.Attestations), "attestations verified")
	// The token is spent: presented again, even for the same image, it is
	// refused before anything is decided.
	_, err = g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: ref.String()})
	fmt.Fprintln(out, "gate, the spent token refused:", errors.Is(err, gate.ErrUnauthenticated))

	// The tag re-pushed with other content: nothing attests it.
	other, err := random.Image(256, 1)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, other, remote.WithContext(ctx)); err != nil {
		return err
	}
	tok2, err := issuer.Mint(ctx, oidc.Job{Subject: signerSAN, Claims: claims}, "ztci-gate")
	if err != nil {
		return err
	}
	denied, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok2.Reveal()), Image: ref.String()})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "gate, re-pushed tag:", denied.Outcome, denied.Rules())
	// The job's own token, minted for the runner, is no deploy credential.
	_, err = g.Decide(ctx, gate.Request{JobToken: gate.NewToken(jobTok.Reveal()), Image: ref.String()})
	fmt.Fprintln(out, "gate, the runner's token refused:", errors.Is(err, gate.ErrUnauthenticated))

	// 5. Audit: the allow decision, proven in the signed log with only its
	// public key.
	proof, err := auditLog.Prove(ctx, allowed.AuditID)
	if err != nil {
		return err
	}
	v, err := audit.NewVerifier("ci.example/audit", auditKey.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	ev, err := v.VerifyEvent(proof, allowed.AuditID)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "audit: decision", ev.Outcome, "proven at entry", proof.Index)
	return nil
}

// policyConfig configures the built-in library: who may sign releases, from
// which builder and source; which jobs may have the deploy secret.
func policyConfig(issuer string) policy.LibraryConfig {
	return policy.LibraryConfig{
		Deploy: policy.DeployConfig{
			Signers:    []policy.AllowedSigner{{SAN: signerSAN, Issuer: issuer}},
			Builders:   []string{builderID},
			Sources:    []string{sourceURI},
			SourceRefs: []string{"refs/heads/main"},
		},
		Secrets: policy.SecretsConfig{Grants: []policy.SecretGrant{{
			Secret: secret, Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/main"},
			Issuers: []string{issuer},
		}}},
	}
}
