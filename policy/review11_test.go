package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressionsEleventh feeds the deploy inputs the
// eleventh review found allowed through the real entry point: findings
// whose severity the rules did not recognise (another spelling, "unknown",
// a bare CVSS score, none) passing max_critical 0 as clean; provenance
// whose signing certificate names another repository or ref than the
// predicate its signer wrote; a production credential nested below a
// production glob, or received by a build an untrusted trigger started
// while require_protected_ref is off; a later "affected" VEX statement
// ignored because the rules could not place its subcomponent or the
// finding's package. Each must be denied with the named rule; the
// ordinary cases stay allowed.
func TestLibraryReviewRegressionsEleventh(t *testing.T) {
	t.Parallel()
	const provenance, scan = 0, 1

	t.Run("critical findings", func(t *testing.T) {
		t.Parallel()
		e := newBuiltin(t)
		// attest/vuln asks consumers to treat SeverityUnknown as at least
		// as severe as their threshold requires, and Finding.Severity
		// reads anything unrecognised as above every threshold: the
		// threshold of max_critical is critical.
		for _, sev := range []string{"Critical ", " CRITICAL", "unknown", "UNKNOWN", "9.8", "", "crit"} {
			in := deployInput()
			sc := in.Artifacts[0].Attestations[scan].Scan
			sc.Findings = append(sc.Findings, policy.Finding{ID: "CVE-2024-3094", Severity: sev, Package: "pkg:deb/debian/xz-utils@5.6.0"})
			wantDeny(t, e, "finding of severity "+quote(sev)+" counted 0 critical", in, "deploy.critical_findings")
		}
		for _, sev := range []string{"high", "Medium", "LOW "} {
			in := deployInput()
			sc := in.Artifacts[0].Attestations[scan].Scan
			sc.Findings = append(sc.Findings, policy.Finding{ID: "CVE-2024-0002", Severity: sev, Package: "pkg:golang/x@1"})
			wantAllow(t, e, "finding of severity "+quote(sev), in)
		}
		// A VEX statement lifts an unrecognised severity as it lifts a
		// critical one.
		cfg := acmeConfig()
		cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
		in := deployInput()
		art := &in.Artifacts[0]
		art.Attestations[scan].Scan.Findings = append(art.Attestations[scan].Scan.Findings,
			policy.Finding{ID: "CVE-2024-3094", Severity: "unknown", Package: "pkg:deb/debian/xz-utils@5.6.0"})
		art.Attestations = append(art.Attestations, vexAttestation(policy.VEXStatement{
			Vulnerability: "CVE-2024-3094", Status: "not_affected", Justification: "vulnerable_code_not_present",
			Timestamp: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}))
		wantAllow(t, newConfigured(t, cfg), "unknown finding lifted by VEX", in)
	})

	t.Run("provenance certificate", func(t *testing.T) {
		t.Parallel()
		cfg := acmeConfig()
		cfg.Deploy.SourceRefs = []string{"refs/heads/main"}
		e := newConfigured(t, cfg)
		// The provenance says github.com/acme/app at refs/heads/main (what
		// its signer wrote); the certificate that signed it says which
		// repository and ref the signing job ran on (what the verifier
		// established).
		signed := func(repo, ref string) policy.Input {
			in := deployInput()
			c := &in.Artifacts[0].Attestations[provenance].Signer.Claims
			c.Repository, c.Ref = repo, ref
			return in
		}
		for _, tc := range []struct {
			name, repo, ref, rule string
		}{
			{"signed by a job of another repository", "https://github.com/evil/app", "refs/heads/main", "deploy.source_not_allowed"},
			{"signed by a job of a repository with the allowed one as prefix", "https://github.com/acme/app-evil", "refs/heads/main", "deploy.source_not_allowed"},
			{"signed by a job of another repository, without host", "evil/app", "refs/heads/main", "deploy.source_not_allowed"},
			{"signed by a job of a repository nested below the allowed one", "https://github.com/acme/app/sub", "refs/heads/main", "deploy.source_not_allowed"},
			{"signed by a job of the owner", "https://github.com/acme", "refs/heads/main", "deploy.source_not_allowed"},
			{"signed by a job on another branch", "https://github.com/acme/app", "refs/heads/feature", "deploy.source_ref_not_allowed"},
			{"signed by a job of a pull request", "https://github.com/acme/app", "refs/pull/1/merge", "deploy.source_ref_not_allowed"},
			{"signed by a job on a tag of the branch's name", "https://github.com/acme/app", "refs/tags/main", "deploy.source_ref_not_allowed"},
		} {
			wantDeny(t, e, tc.name, signed(tc.repo, tc.ref), tc.rule)
		}
		for name, in := range map[string]policy.Input{
			"certificate without source claims":      signed("", ""),
			"certificate naming the source and ref":  signed("https://github.com/acme/app", "refs/heads/main"),
			"certificate naming the source as a git": signed("git+https://github.com/acme/app.git", "refs/heads/main"),
			"certificate naming owner/name":          signed("acme/app", "refs/heads/main"),
			// The host is the forge the certificate's issuer serves (ztci's
			// CA builds it on the issuer URL unless told the forge's); the
			// issuer is pinned by the signer entry already.
			"certificate naming the issuer's host": signed("https://ci.example:8443/acme/app", "refs/heads/main"),
		} {
			wantAllow(t, e, name, in)
		}
		// Without source_refs any ref is accepted, the certificate's too.
		wantAllow(t, newBuiltin(t), "another ref without source_refs", signed("https://github.com/acme/app", "refs/heads/feature"))
	})

	t.Run("production secrets", func(t *testing.T) {
		t.Parallel()
		cfg := acmeConfig()
		cfg.Deploy.ProductionSecrets = []string{"prod/*"}
		e := newConfigured(t, cfg)
		unsafe := cfg
		unsafe.Deploy.AllowUnprotectedRefUnsafe = true
		eu := newConfigured(t, unsafe)
		build := func(protected bool, secret string, edit func(*policy.Artifact)) policy.Input {
			in := deployInput()
			art := &in.Artifacts[0]
			art.Attestations = append(art.Attestations, policy.Attestation{
				PredicateType: "https://ztci.dev/secrets-provenance/v1",
				Signer:        policy.Signer{SAN: releaseWF, Issuer: ghIssuer},
				SecretsProvenance: &policy.SecretsProvenance{
					Job: policy.BuildJob{ID: "build-1", Identity: ghIssuer + "#repo:acme/app:ref:refs/heads/main", Repository: "acme/app",
						Ref: "refs/heads/main", RefProtected: protected, RunID: "9000"},
					Credentials: []policy.Credential{{LeaseID: "lease-1", Backend: "vault", Secret: secret,
						IssuedAt: "2026-01-01T00:00:00Z"}},
				},
			})
			if edit != nil {
				edit(art)
			}
			return in
		}
		const secretsProv = 2
		// "prod/*" lists what to deny: a secret nested under prod/ is a
		// production secret, as a Vault policy path or an IAM resource
		// "prod/*" reads it.
		for _, name := range []string{"prod/db/password", "PROD/db/password", "prod/a/b/c"} {
			wantDeny(t, e, "production secret "+name+" in an unprotected build", build(false, name, nil), "deploy.production_secret_unprotected_ref")
		}
		wantAllow(t, e, "nested production secret in a protected build", build(true, "prod/db/password", nil))
		wantAllow(t, e, "secret outside prod/ in an unprotected build", build(false, "staging/prod/db", nil))

		// A pull_request_target or workflow_run build has ref_protected
		// true; its signed evidence names the trigger. Operators who let
		// unprotected refs deploy still keep production secrets out of
		// such builds.
		for name, edit := range map[string]func(*policy.Artifact){
			"secrets provenance signed by a pull_request_target job": func(a *policy.Artifact) {
				a.Attestations[secretsProv].Signer.Claims.Event = "pull_request_target"
			},
			"provenance signed by a workflow_run job": func(a *policy.Artifact) {
				a.Attestations[provenance].Signer.Claims.Event = "workflow_run"
			},
			"provenance recording a pull_request_target trigger": func(a *policy.Artifact) {
				a.Attestations[provenance].Provenance.ExternalParameters = map[string]any{"trigger": "pull_request_target"}
			},
			"artifact signed by a workflow_run job": func(a *policy.Artifact) { a.Signer.Claims.Event = "Workflow_Run" },
		} {
			wantDeny(t, eu, name, build(true, "prod/db", edit), "deploy.production_secret_unprotected_ref")
			wantDeny(t, e, name, build(true, "prod/db", edit), "deploy.production_secret_unprotected_ref")
		}
		wantAllow(t, eu, "production secret in a push build", build(true, "prod/db", func(a *policy.Artifact) {
			a.Attestations[secretsProv].Signer.Claims.Event = "push"
		}))
		wantAllow(t, eu, "other secret in a pull_request_target build", build(true, "staging/db", func(a *policy.Artifact) {
			a.Attestations[secretsProv].Signer.Claims.Event = "pull_request_target"
		}))
	})

	t.Run("VEX contradiction", func(t *testing.T) {
		t.Parallel()
		cfg := acmeConfig()
		cfg.Deploy.DenySeverity = "high"
		cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
		e := newConfigured(t, cfg)
		older := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
		newer := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		lift := policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "not_affected",
			Justification: "vulnerable_code_not_in_execute_path", Timestamp: older}
		affected := func(subs ...string) policy.VEXStatement {
			return policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "affected", Timestamp: newer, Subcomponents: subs}
		}
		// deployInput's finding: CVE-2025-0001, high, pkg:golang/golang.org/x/net@v0.1.0.
		with := func(pkg string, ss ...policy.VEXStatement) policy.Input {
			in := deployInput()
			art := &in.Artifacts[0]
			if pkg != "" {
				art.Attestations[scan].Scan.Findings[0].Package = pkg
			}
			art.Attestations = append(art.Attestations, vexAttestation(ss...))
			return in
		}
		for _, tc := range []struct {
			name string
			in   policy.Input
		}{
			{"later affected naming the part by CPE", with("", lift, affected("cpe:2.3:a:golang:net:0.1.0:*:*:*:*:*:*:*"))},
			{"later affected naming the part by an identifier", with("", lift, affected("golang.org/x/net"))},
			{"later affected by package URL, finding's package not one", with("golang.org/x/net@v0.1.0", lift, affected("pkg:golang/golang.org/x/net"))},
		} {
			wantDeny(t, e, tc.name, tc.in, "deploy.vulnerability")
		}
		for name, in := range map[string]policy.Input{
			"lifted":                                    with("", lift),
			"later affected about another package":      with("", lift, affected("pkg:golang/golang.org/x/text")),
			"earlier affected naming the part by CPE":   with("", policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "affected", Timestamp: time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339), Subcomponents: []string{"cpe:2.3:a:golang:net:0.1.0:*:*:*:*:*:*:*"}}, lift),
			"later affected about another package URL ": with("", lift, affected("pkg:npm/net")),
		} {
			wantAllow(t, e, name, in)
		}
	})
}

// A hand-written configuration (an OPA bundle's data.json) holding a glob
// pattern glob.match cannot compile loaded, and then aborted every
// decision that reached the pattern: an undecided decision, not a deny
// with a reason, and not the configuration error LibraryConfig.Validate
// gives for the same pattern. The engine refuses it when it loads it.
func TestLibraryConfigGlobs(t *testing.T) {
	t.Parallel()
	grant := func(secret string, refs ...any) []any {
		return []any{map[string]any{"secret": secret, "repositories": []any{"acme/app"}, "refs": refs}}
	}
	for name, tc := range map[string]struct {
		edit func(cfg map[string]any)
		path string
	}{
		"grant secret with an unclosed brace": {func(c map[string]any) { section(c, "secrets")["grants"] = grant("prod/{a", "refs/heads/main") }, "secrets.grants[0].secret"},
		"grant ref with an unclosed class": {func(c map[string]any) {
			section(c, "secrets")["grants"] = grant("prod/*", "refs/heads/main", "refs/heads/[")
		}, "secrets.grants[0].refs[1]"},
		"grant ref with a trailing backslash": {func(c map[string]any) { section(c, "secrets")["grants"] = grant("prod/*", `refs/heads/\`) }, "secrets.grants[0].refs[0]"},
		"production secret with a bad range":  {func(c map[string]any) { section(c, "deploy")["production_secrets"] = []any{"prod/[z-a]"} }, "deploy.production_secrets[0]"},
	} {
		doc := libraryConfig()
		tc.edit(doc["ztci"].(map[string]any)["config"].(map[string]any))
		e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
		var ce *policy.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, policy.ErrInvalidConfig) {
			if e != nil {
				e.Close()
			}
			t.Errorf("%s: New = %v; want a *ConfigError", name, err)
			continue
		}
		if len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0], tc.path+":") {
			t.Errorf("%s: problems %q; want one about %s", name, ce.Problems, tc.path)
		}
	}

	// Patterns that compile load, and decide.
	doc := libraryConfig()
	cfg := doc["ztci"].(map[string]any)["config"].(map[string]any)
	section(cfg, "secrets")["grants"] = []any{map[string]any{"secret": "prod/{db,cache}-*", "repositories": []any{"acme/app"}, "refs": []any{"refs/heads/main", "refs/tags/v[0-9]*"}}}
	section(cfg, "deploy")["production_secrets"] = []any{"prod/**", "[Pp]rod-?"}
	e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
	if err != nil {
		t.Fatalf("valid patterns: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	if d, err := e.Evaluate(context.Background(), policy.SecretsInput(identityFor("acme/app"), "prod/db-password")); err != nil || !d.Allowed {
		t.Errorf("valid patterns: %v, %v; want an allow", d, err)
	}
}

// vexAttestation is an OpenVEX attestation signed by psirtWF holding ss.
func vexAttestation(ss ...policy.VEXStatement) policy.Attestation {
	return policy.Attestation{
		PredicateType: "https://openvex.dev/ns/v0.2.0",
		Signer:        policy.Signer{SAN: psirtWF, Issuer: ghIssuer},
		VEX:           &policy.VEX{Statements: ss},
	}
}

// wantAllow reports an error unless e allows in.
func wantAllow(t *testing.T, e *policy.Engine, name string, in policy.Input) {
	t.Helper()
	d, err := e.Evaluate(context.Background(), in)
	if err != nil || !d.Allowed {
		t.Errorf("%s: denied (%v, %v), want allowed", name, rules(d), err)
	}
}

func quote(s string) string { return "\"" + s + "\"" }
