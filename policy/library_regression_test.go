package policy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressions feeds the inputs a security review found
// allowed through the real entry point (a configured engine, typed
// Input): each must now be denied with the named rule.
func TestLibraryReviewRegressions(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{AllowedImages: []string{"cimg/"}, AllowedActions: []string{"actions/"}, AllowedOrbs: []string{"circleci/"}}
	cfg.Secrets.Grants = append(cfg.Secrets.Grants, policy.SecretGrant{Secret: "dev/*", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/*"}, AllowUnprotected: true})
	e := newConfigured(t, cfg)

	rc := func(typ string, after map[string]any) map[string]any {
		return map[string]any{"address": typ + ".x", "type": typ, "change": map[string]any{"actions": []any{"create"}, "after": after}}
	}
	plan := func(rcs ...any) policy.Input {
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{"format_version": "1.2", "resource_changes": rcs}}
	}
	pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pod := func(sc map[string]any) policy.Input {
		sc["allowPrivilegeEscalation"] = false
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{
			"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"},
			"spec": map[string]any{
				"securityContext": map[string]any{"runAsNonRoot": true},
				"containers":      []any{map[string]any{"name": "c", "image": pinned, "securityContext": sc}},
			},
		}}}
	}
	pipeline := func(uses, env string) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{Jobs: []policy.PipelineJob{
			{Name: "build", Environment: env, Steps: []policy.Step{{Name: "s", Uses: uses}}},
		}}}
	}
	deployWith := func(scan policy.Scan) policy.Input {
		in := deployInput()
		in.Artifacts[0].Attestations[1].Scan = &scan
		return in
	}
	release := func(ref string, names ...string) policy.Input {
		in := policy.SecretsInput(identityFor("acme/app"), names...)
		in.Job.Ref = ref
		return in
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"IPv4 world hidden by a wide IPv6 CIDR", plan(rc("aws_security_group_rule", map[string]any{"type": "ingress", "cidr_blocks": []any{"0.0.0.0/0"}, "ipv6_cidr_blocks": []any{"::/1"}})), "terraform.open_ingress"},
		{"inline SG rules that together open the world", plan(rc("aws_security_group", map[string]any{"ingress": []any{map[string]any{"cidr_blocks": []any{"0.0.0.0/1"}}, map[string]any{"cidr_blocks": []any{"128.0.0.0/1"}}}})), "terraform.open_ingress"},
		{"Azure prefixes that merge to /0", plan(rc("azurerm_network_security_rule", map[string]any{"direction": "Inbound", "access": "Allow", "source_address_prefixes": []any{"0.0.0.0/1", "128.0.0.0/1"}})), "terraform.open_ingress"},
		{"Azure unspecified address spelled 0::", plan(rc("azurerm_network_security_rule", map[string]any{"direction": "Inbound", "access": "Allow", "source_address_prefix": "0::"})), "terraform.open_ingress"},
		{"after_unknown not an object", plan(map[string]any{"address": "x", "type": "aws_security_group_rule", "change": map[string]any{"actions": []any{"create"}, "after": map[string]any{"type": "ingress"}, "after_unknown": true}}), "terraform.malformed"},
		{"procMount Unmasked", pod(map[string]any{"procMount": "Unmasked"}), "kubernetes.proc_mount"},
		{"only an empty List", policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{"kind": "List", "items": []any{}}}}, "kubernetes.no_manifests"},
		{"harmless kind's name in another API group", policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{"apiVersion": "evil.example/v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}}}}, "kubernetes.unknown_kind"},
		{"unknown kind ending in List", policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{"kind": "EvilList", "items": []any{}}}}, "kubernetes.unknown_kind"},
		{"docker:// step with an unpinned image", pipeline("docker://evil/img:latest", ""), "pipeline.image_not_pinned"},
		{"local action leaving the repository", pipeline("./../../evil", ""), "pipeline.action_not_allowed"},
		{"allow-listed action prefix climbed out of", pipeline("actions/checkout/../../evil/x@b4ffde65f46336ab88eb53be808477a3936bae11", ""), "pipeline.action_not_allowed"},
		{"production environment with a trailing space", pipeline("actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11", "production "), "pipeline.prod_unfiltered"},
		{"critical finding listed, counted 0", deployWith(policy.Scan{Scanner: "t", Findings: []policy.Finding{{ID: "CVE-1", Severity: "critical", Package: "p"}}}), "deploy.critical_findings"},
		{"negative critical count", deployWith(policy.Scan{Scanner: "t", Critical: -1}), "deploy.scan_unreadable"},
		{"secret name with a .. segment", release("refs/heads/main", "prod/.."), "secrets.malformed"},
		{"secret name with an empty segment", release("refs/heads/main", "prod/"), "secrets.malformed"},
		{"ref glob matching an empty branch name", release("refs/heads/", "dev/x"), "secrets.not_granted"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	// The fixes leave the ordinary cases alone.
	for _, in := range []policy.Input{
		plan(rc("aws_security_group_rule", map[string]any{"type": "ingress", "cidr_blocks": []any{"10.0.0.0/8"}, "ipv6_cidr_blocks": []any{"2001:db8::/32"}})),
		pod(map[string]any{"procMount": "Default"}),
		{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": map[string]any{"name": "i"}}}},
		pipeline("./.github/actions/build", ""),
		pipeline("docker://cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""),
		release("refs/heads/main", "prod/db-password"),
	} {
		if d, err := e.Evaluate(context.Background(), in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", in.Action, rules(d), err)
		}
	}
}

// TestLibraryReviewRegressionsSignedEvidence feeds the inputs a second
// review found allowed, or left undecided, through the real entry point:
// facts of signed evidence the rules read only in part (the trigger a
// signing certificate names, provenance under a predicate type the rules
// did not list, the name a VEX statement gives its vulnerability) and
// times a signer states (in the future, or on a day that does not exist).
// Each must now be denied with the named rule, not allowed and not an
// evaluation error.
func TestLibraryReviewRegressionsSignedEvidence(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Deploy.MaxScanAge = 24 * time.Hour
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
	e := newConfigured(t, cfg)

	recent := time.Now().UTC().Add(-time.Hour)
	// deploy is deployInput with a scan made an hour ago, its high finding
	// lifted by a not_affected statement from psirt made two hours ago.
	deploy := func(edit func(*policy.Artifact)) policy.Input {
		in := deployInput()
		art := &in.Artifacts[0]
		art.Attestations[1].Scan.ScannedAt = recent.Format(time.RFC3339)
		art.Attestations = append(art.Attestations, policy.Attestation{
			PredicateType: "https://openvex.dev/ns/v0.2.0",
			Signer:        policy.Signer{SAN: psirtWF, Issuer: ghIssuer},
			VEX: &policy.VEX{Statements: []policy.VEXStatement{{
				Vulnerability: "CVE-2025-0001", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path",
				Timestamp: recent.Add(-time.Hour).Format(time.RFC3339),
			}}},
		})
		if edit != nil {
			edit(art)
		}
		return in
	}
	const provenance, vexType = 0, 2
	statement := func(a *policy.Artifact) *policy.VEXStatement { return &a.Attestations[vexType].VEX.Statements[0] }
	otherProvenance := func(predicateType string) func(*policy.Artifact) {
		return func(a *policy.Artifact) {
			p := *a.Attestations[provenance].Provenance
			p.BuilderID = "https://evil.example/builder"
			a.Attestations = append(a.Attestations, policy.Attestation{PredicateType: predicateType, Signer: a.Attestations[provenance].Signer, Provenance: &p})
		}
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		// The signing certificate names the trigger of the job that signed
		// (Fulcio's build trigger): a release workflow that a workflow_run
		// or pull_request_target started signs as the protected ref's
		// workflow, for changes nobody reviewed.
		{"artifact signed by a job pull_request_target started", deploy(func(a *policy.Artifact) { a.Signer.Claims.Event = "pull_request_target" }), "deploy.untrusted_build_trigger"},
		{"provenance signed by a job workflow_run started", deploy(func(a *policy.Artifact) { a.Attestations[provenance].Signer.Claims.Event = "workflow_run" }), "deploy.untrusted_build_trigger"},
		{"scan signed by a job workflow_run started", deploy(func(a *policy.Artifact) { a.Attestations[1].Signer.Claims.Event = "workflow_run" }), "deploy.untrusted_build_trigger"},
		{"VEX signed by a job pull_request_target started", deploy(func(a *policy.Artifact) { a.Attestations[vexType].Signer.Claims.Event = "pull_request_target" }), "deploy.untrusted_build_trigger"},
		// A second provenance from an unlisted builder, beside a good one,
		// under a SLSA type the rules did not list or any other type.
		{"provenance of another SLSA type from an unlisted builder", deploy(otherProvenance("https://slsa.dev/provenance/v1.1")), "deploy.builder_not_allowed"},
		{"provenance summary under another predicate type", deploy(otherProvenance("https://example.com/provenance")), "deploy.builder_not_allowed"},
		// A time in the future never goes stale, and outranks every later
		// statement; a day that does not exist used to abort evaluation.
		{"scan dated in the future", deploy(func(a *policy.Artifact) { a.Attestations[1].Scan.ScannedAt = "2099-01-01T00:00:00Z" }), "deploy.scan_too_old"},
		{"scan dated on a day that does not exist", deploy(func(a *policy.Artifact) { a.Attestations[1].Scan.ScannedAt = "2026-02-30T00:00:00Z" }), "deploy.scan_too_old"},
		{"scan dated past what nanoseconds hold", deploy(func(a *policy.Artifact) { a.Attestations[1].Scan.ScannedAt = "2300-01-01T00:00:00Z" }), "deploy.scan_too_old"},
		{"future not_affected outranking a later affected", deploy(func(a *policy.Artifact) {
			statement(a).Timestamp = "2099-01-01T00:00:00Z"
			a.Attestations[vexType].VEX.Statements = append(a.Attestations[vexType].VEX.Statements,
				policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "affected", Timestamp: recent.Format(time.RFC3339)})
		}), "deploy.vulnerability"},
		// A statement naming the finding by an alias is superseded by a
		// later one about its own name alone: one vulnerability.
		{"later affected under the lifting statement's own name", deploy(func(a *policy.Artifact) {
			*statement(a) = policy.VEXStatement{Vulnerability: "GHSA-4v7x-pqxf-cx7m", Aliases: []string{"CVE-2025-0001"}, Status: "not_affected",
				Justification: "vulnerable_code_not_in_execute_path", Timestamp: statement(a).Timestamp}
			a.Attestations[vexType].VEX.Statements = append(a.Attestations[vexType].VEX.Statements,
				policy.VEXStatement{Vulnerability: "GHSA-4v7x-pqxf-cx7m", Status: "affected", Timestamp: recent.Format(time.RFC3339)})
		}), "deploy.vulnerability"},
		{"not_affected dated on a day that does not exist", deploy(func(a *policy.Artifact) { statement(a).Timestamp = "2026-04-31T00:00:00Z" }), "deploy.vulnerability"},
		{"not_affected dated at hour 24", deploy(func(a *policy.Artifact) { statement(a).Timestamp = "2026-12-01T24:00:00Z" }), "deploy.vulnerability"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	// The fixes leave the ordinary cases alone: a trusted trigger, times in
	// the past (in any offset) and within the clock skew allowed, a leap day.
	for name, in := range map[string]policy.Input{
		"as seeded": deploy(nil),
		"signed by a push job": deploy(func(a *policy.Artifact) {
			a.Signer.Claims.Event = "push"
			a.Attestations[provenance].Signer.Claims.Event = "push"
		}),
		"scan a minute ahead of this clock": deploy(func(a *policy.Artifact) {
			a.Attestations[1].Scan.ScannedAt = time.Now().UTC().Add(time.Minute).Format(time.RFC3339)
		}),
		"statement in another offset": deploy(func(a *policy.Artifact) {
			statement(a).Timestamp = recent.In(time.FixedZone("", -(9*60+30)*60)).Format(time.RFC3339Nano)
		}),
		"statement on a leap day": deploy(func(a *policy.Artifact) { statement(a).Timestamp = "2024-02-29T12:00:00.5+01:00" }),
	} {
		if d, err := e.Evaluate(context.Background(), in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", name, rules(d), err)
		}
	}

	// Operators who trust a trigger say so; the certificate's trigger then
	// no longer denies.
	trusting := cfg
	trusting.UntrustedTriggers = []string{}
	in := deploy(func(a *policy.Artifact) { a.Signer.Claims.Event = "workflow_run" })
	if d, err := newConfigured(t, trusting).Evaluate(context.Background(), in); err != nil || !d.Allowed {
		t.Errorf("workflow_run trusted: denied (%v, %v), want allowed", rules(d), err)
	}
}

// wantDeny reports an error unless e denies in with rule among the
// violations.
func wantDeny(t *testing.T, e *policy.Engine, name string, in policy.Input, rule string) {
	t.Helper()
	d, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if d.Allowed || !slices.Contains(rules(d), rule) {
		t.Errorf("%s: allowed %v, violations %v; want a deny with %s", name, d.Allowed, rules(d), rule)
	}
}

// A configuration written by hand (an OPA bundle's data.json) that the
// library cannot read as written is refused when the engine loads it
// (a *ConfigError naming the path): a mistyped or misspelled value would
// otherwise read as its default, and a limit the operator set would not
// hold. null reads as unset, as before.
func TestLibraryConfigMalformed(t *testing.T) {
	t.Parallel()
	edits := map[string]struct {
		edit func(cfg map[string]any)
		path string
	}{
		"max_critical as a string":    {func(c map[string]any) { section(c, "deploy")["max_critical"] = "0" }, "deploy.max_critical"},
		"negative max_critical":       {func(c map[string]any) { section(c, "deploy")["max_critical"] = -1 }, "deploy.max_critical"},
		"fractional scan age":         {func(c map[string]any) { section(c, "deploy")["max_scan_age_seconds"] = 0.5 }, "deploy.max_scan_age_seconds"},
		"deny_severity in upper case": {func(c map[string]any) { section(c, "deploy")["deny_severity"] = "HIGH" }, "deploy.deny_severity"},
		"require_scan as a string":    {func(c map[string]any) { section(c, "deploy")["require_scan"] = "true" }, "deploy.require_scan"},
		"misspelled member":           {func(c map[string]any) { section(c, "deploy")["max_criticals"] = 0 }, "deploy.max_criticals"},
		"misspelled section":          {func(c map[string]any) { c["deploys"] = map[string]any{} }, "deploys"},
		"section not an object":       {func(c map[string]any) { c["kubernetes"] = []any{} }, "kubernetes"},
		"signer with a case variant": {func(c map[string]any) {
			section(c, "deploy")["signers"] = []any{map[string]any{"SAN": releaseWF, "issuer": ghIssuer}}
		}, "deploy.signers"},
		"builders not strings":        {func(c map[string]any) { section(c, "deploy")["builders"] = []any{1} }, "deploy.builders"},
		"untrusted_triggers a string": {func(c map[string]any) { c["untrusted_triggers"] = "workflow_run" }, "untrusted_triggers"},
		"grant with a misspelled member": {func(c map[string]any) {
			section(c, "secrets")["grants"] = []any{map[string]any{"secret": "prod/*", "repositories": []any{"acme/app"}, "refs": []any{"refs/heads/main"}, "environment": []any{"prod"}}}
		}, "secrets.grants[0].environment"},
	}
	for name, tc := range edits {
		doc := libraryConfig()
		tc.edit(doc["ztci"].(map[string]any)["config"].(map[string]any))
		e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
		var ce *policy.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, policy.ErrInvalidConfig) || !errors.Is(err, policy.ErrLoad) {
			if e != nil {
				e.Close()
			}
			t.Errorf("%s: New = %v; want a *ConfigError wrapping ErrInvalidConfig", name, err)
			continue
		}
		if len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0], tc.path+":") {
			t.Errorf("%s: problems %q; want one about %s", name, ce.Problems, tc.path)
		}
	}

	doc := libraryConfig()
	cfg := doc["ztci"].(map[string]any)["config"].(map[string]any)
	section(cfg, "deploy")["max_scan_age_seconds"], cfg["untrusted_triggers"] = nil, nil
	e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
	if err != nil {
		t.Fatalf("null members: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	if d, err := e.Evaluate(context.Background(), deployInput()); err != nil || !d.Allowed {
		t.Errorf("null members: %v, %v; want an allow", d, err)
	}
}

// A bundle without the built-in library is not held to its schema.
func TestConfigCheckOnlyForTheLibrary(t *testing.T) {
	t.Parallel()
	mod := fstest.MapFS{"p.rego": {Data: []byte("package ztci.main\n\ndecision := {\"allow\": true, \"violations\": set()}\n")}}
	src := policy.Merge(policy.FS(mod), policy.Data(map[string]any{"ztci": map[string]any{"config": map[string]any{"anything": "goes"}}}))
	e, err := policy.New(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}

// section is the member name of a configuration document, as an object.
func section(cfg map[string]any, name string) map[string]any {
	return cfg[name].(map[string]any)
}

// A grant that names issuers covers only jobs one of them vouches for: an
// OIDC token's issuer or an SVID's trust domain. "acme/app" on a second
// platform the gate trusts is not the grant's acme/app.
func TestSecretGrantIssuers(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Secrets.Grants[0].Issuers = []string{ghIssuer, "spiffe://ci.example"}
	e := newConfigured(t, cfg)
	svid := func(id string) identity.Identity {
		return identity.Identity{SPIFFEID: spiffeid.RequireFromString(id),
			Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true}}
	}
	gitlab := identityFor("acme/app")
	gitlab.Issuer = "https://gitlab.com"
	for name, tc := range map[string]struct {
		id    identity.Identity
		allow bool
	}{
		"listed OIDC issuer":       {identityFor("acme/app"), true},
		"another OIDC issuer":      {gitlab, false},
		"listed trust domain":      {svid("spiffe://ci.example/job/acme/app"), true},
		"another trust domain":     {svid("spiffe://ci.example.evil/job/acme/app"), false},
		"trust domain as a prefix": {svid("spiffe://ci.examplex/job"), false},
	} {
		d, err := e.Evaluate(context.Background(), policy.SecretsInput(tc.id, "prod/db-password"))
		if err != nil || d.Allowed != tc.allow {
			t.Errorf("%s: allowed %v, violations %v, %v; want allowed %v", name, d.Allowed, rules(d), err, tc.allow)
		}
	}

	cfg.Secrets.Grants[0].Issuers = []string{}
	if d, err := newConfigured(t, cfg).Evaluate(context.Background(), policy.SecretsInput(identityFor("acme/app"), "prod/db-password")); err != nil || d.Allowed {
		t.Errorf("empty Issuers: allowed %v, %v; want a deny", d.Allowed, err)
	}
	for _, bad := range []string{"", "token.actions.githubusercontent.com", "http://issuer.example", "spiffe://ci.example/job", "spiffe://CI.example", "https://user@issuer.example"} {
		cfg.Secrets.Grants[0].Issuers = []string{bad}
		if err := cfg.Validate(); !errors.Is(err, policy.ErrInvalidConfig) {
			t.Errorf("Issuers %q: Validate = %v; want ErrInvalidConfig", bad, err)
		}
	}
}

// A grant that names repository ids covers only jobs of a repository with
// one of them: a repository recreated under a released name (repojacking)
// has the name and a new id.
func TestSecretGrantRepositoryIDs(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Secrets.Grants[0].RepositoryIDs = []string{"123456"}
	e := newConfigured(t, cfg)
	for id, allow := range map[string]bool{"123456": true, "999999": false, "": false} {
		who := identityFor("acme/app")
		who.Claims.RepositoryID = id
		d, err := e.Evaluate(context.Background(), policy.SecretsInput(who, "prod/db-password"))
		if err != nil || d.Allowed != allow {
			t.Errorf("repository id %q: allowed %v, violations %v, %v; want allowed %v", id, d.Allowed, rules(d), err, allow)
		}
	}
	cfg.Secrets.Grants[0].RepositoryIDs = []string{""}
	if err := cfg.Validate(); !errors.Is(err, policy.ErrInvalidConfig) {
		t.Errorf("empty repository id: Validate = %v; want ErrInvalidConfig", err)
	}
}
