package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/ztci/ztci/policy"
)

// The property tests below take inputs each built-in rule set allows and
// corrupt them one place at a time: every object member and list element
// is removed, replaced by null, by a value of every other JSON type and by
// "::/0" and "*" (the world, to an ingress rule), and wrapped in a list, a
// template object and a Kubernetes List. A corrupted input may be
// allowed only if the corrupted place is one the rule set explicitly
// classifies as harmless (a field it does not judge); anything else must
// be denied with a reason — not allowed, and not an evaluation error.
//
// The input goes to the library as raw JSON, not as a policy.Input: the
// Go type cannot carry a wrong-typed field, but `opa eval`, a vendor's own
// OPA, or the free-form sections (manifests, terraform_plan) can.

// ruleSet is one seed: an allowed input, its configuration, and the
// places the rule set classifies as harmless: regular expressions over a
// JSON pointer, optionally followed by the mutation kinds that are
// harmless there (see harmlessPattern).
type ruleSet struct {
	name     string
	config   map[string]any
	seed     string
	harmless []string
}

// otherString matches the mutations that put another non-empty string in
// a field.
const otherString = `string|string true|any IPv6 address|any Azure source`

const (
	sha       = "b4ffde65f46336ab88eb53be808477a3936bae11"
	pinnedImg = "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
)

func ruleSets() []ruleSet {
	job := `{"id": "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/main", "repository": "acme/app", "ref": "refs/heads/main", "protected": true, "environment": "production", "name": "deploy"}`
	return []ruleSet{
		{
			name: "deploy",
			config: map[string]any{"deploy": map[string]any{
				"signers":             []any{map[string]any{"san": releaseWF, "issuer": ghIssuer}},
				"attestation_signers": []any{map[string]any{"san": slsaWF, "issuer": ghIssuer}},
				"builders":            []any{builderID},
				"sources":             []any{appSource},
			}},
			seed: `{"action": "deploy", "job": ` + job + `, "artifacts": [{
				"name": "ghcr.io/acme/app",
				"digest": "sha256:0000000000000000000000000000000000000000000000000000000000000001",
				"verified": true,
				"signer": {"san": "` + releaseWF + `", "issuer": "` + ghIssuer + `", "claims": {"repository": "acme/app"}},
				"attestations": [
					{"predicate_type": "https://slsa.dev/provenance/v1", "signer": {"san": "` + slsaWF + `", "issuer": "` + ghIssuer + `", "claims": {}},
					 "provenance": {"builder_id": "` + builderID + `", "build_type": "bt", "source_repository": "` + appSource + `", "source_ref": "refs/heads/main", "source_digest": "` + sha + `", "external_parameters": {"x": 1}}},
					{"predicate_type": "https://cosign.sigstore.dev/attestation/vuln/v1", "signer": {"san": "` + releaseWF + `", "issuer": "` + ghIssuer + `", "claims": {}},
					 "scan": {"scanner": "trivy", "critical": 0, "high": 2, "medium": 0, "low": 0, "findings": [{"id": "CVE-1", "severity": "high", "package": "p"}]}}
				]}]}`,
			harmless: []string{
				// The job's identity and claims are not what deploy judges;
				// only job.protected is.
				`^/job/(id|repository|ref|environment|name)$`,
				// Labels and claims that only appear in messages.
				`^/artifacts/0/name$`, `^/artifacts/0/(signer|attestations/\d+/signer)/claims(/.*)?$`,
				`^/artifacts/0/attestations/0/provenance/(build_type|source_ref|source_digest|external_parameters)(/.*)?$`,
				// The scan is optional (require_scan is off): dropping it,
				// or making it untrusted or not a scan, leaves no scan.
				`^/artifacts/0/attestations/1(/predicate_type|/signer(/.*)?)?$`,
				`^/artifacts/0/attestations/1/scan/(scanner|high|medium|low|findings)(/.*)?$`,
			},
		},
		{
			name: "pipeline",
			config: map[string]any{"pipeline": map[string]any{
				"allowed_images": []any{"cimg/"}, "allowed_actions": []any{"actions/"}, "allowed_orbs": []any{"circleci/"},
			}},
			seed: `{"action": "pipeline.run", "job": ` + job + `, "pipeline": {"platform": "circleci", "path": ".circleci/config.yml", "uses": ["circleci/node@5.1.0"], "jobs": [
				{"name": "build", "type": "", "environment": "", "privileged": false, "images": ["cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], "steps": [{"name": "checkout", "uses": "actions/checkout@` + sha + `", "image": "", "privileged": false}]},
				{"name": "hold", "type": "approval", "environment": "", "privileged": false, "requires": ["build"]},
				{"name": "deploy", "type": "", "environment": "production", "privileged": false, "requires": ["hold"], "branches": ["main"], "images": ["cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}]}}`,
			harmless: []string{
				`^/job(/.*)?$`, `^/pipeline/(platform|path)$`,
				// Dropping the orb list, a use, an image or a step removes
				// what would be judged; it adds nothing.
				`^/pipeline/uses(/0)?$`, `^/pipeline/jobs/[02]/images(/0)?$`, `^/pipeline/jobs/0/steps(/0)?$`,
				`^/pipeline/jobs/0/steps/0/(name|image)$`,
				// build is not a production job; hold's own requires are
				// not judged, nor build's environment unless it becomes one.
				`^/pipeline/jobs/0 (removed|wrapped in a List)$`, `^/pipeline/jobs/1/requires(/0)?$`,
				// Job names are labels; another environment or type
				// string names another (not production) environment or
				// a job that is not an approval.
				`^/pipeline/jobs/\d+/name (` + otherString + `)$`,
				`^/pipeline/jobs/\d+/(environment|type) (empty string|` + otherString + `)$`,
				// Fewer jobs: dropping the deploy job leaves nothing to judge.
				`^/pipeline/jobs/2 removed$`,
				// Removing a step's uses leaves a step that runs nothing.
				`^/pipeline/jobs/0/steps/0/uses$`,
				// A local action ("./...") is part of the repository; the
				// property's string mutations are not local actions.
			},
		},
		{
			name: "secrets",
			config: map[string]any{"secrets": map[string]any{"grants": []any{map[string]any{
				"secret": "prod/*", "repositories": []any{"acme/app"}, "refs": []any{"refs/heads/main"}, "environments": []any{"production"},
			}}}},
			// A GitHub job: on any other platform a grant naming
			// environments needs environment_protected too.
			seed: `{"action": "secrets.release", "job": ` + strings.Replace(job, `{`, `{"platform": "github-actions", `, 1) + `, "secrets": {"names": ["prod/db-password", "prod/api-key"]}}`,
			harmless: []string{
				`^/job/name$`,
				// The grant pins no identity: another id is another job.
				`^/job/id (` + otherString + `)$`,
				// Asking for fewer secrets is still granted.
				`^/secrets/names/[01]$`,
			},
		},
		{
			name: "kubernetes",
			config: map[string]any{"kubernetes": map[string]any{
				"allowed_kinds":           []any{"Middleware"},
				"allowed_ingress_urls":    []any{"http://oauth2-proxy.auth.svc/oauth2/auth"},
				"allowed_ingress_real_ip": []any{"10.20.0.0/16", "CF-Connecting-IP"},
			}},
			seed: `{"action": "kubernetes.admit", "manifests": [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "labels": {"app": "a"}},
				"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "a"}}, "spec": {
					"securityContext": {"runAsNonRoot": true, "runAsUser": 1000},
					"volumes": [{"name": "tmp", "emptyDir": {}}],
					"containers": [{"name": "app", "image": "` + pinnedImg + `", "ports": [{"containerPort": 8080}],
						"securityContext": {"privileged": false, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}]}}}},
				{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"k": "v"}},
				{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller"},
					"data": {"use-forwarded-headers": "true", "proxy-real-ip-cidr": "10.20.0.0/16", "forwarded-for-header": "CF-Connecting-IP"}},
				{"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": "auth"},
					"spec": {"forwardAuth": {"address": "http://oauth2-proxy.auth.svc/oauth2/auth"}}}]}`,
			harmless: []string{
				`^/manifests/\d+/(apiVersion|metadata)(/.*)?$`, `^/manifests/0/spec/replicas$`,
				`^/manifests/0/spec/template/metadata(/.*)?$`,
				// runAsUser is optional when runAsNonRoot is true.
				`^/manifests/0/spec/template/spec/securityContext/runAsUser$`,
				// Fewer volumes, ports, capabilities or harmless objects.
				`^/manifests/0/spec/template/spec/volumes(/0(/(name|emptyDir)(/.*)?)?)?$`,
				`^/manifests/0/spec/template/spec/containers/0/(name|ports(/0(/containerPort)?)?)$`,
				// Unknown members are dropped by the API server: no capability added.
				`^/manifests/0/spec/template/spec/containers/0/securityContext/capabilities (removed|null|empty object|wrapped in a template|wrapped in a List)$`,
				`^/manifests/0/spec/template/spec/containers/0/securityContext/capabilities/drop(/0)?$`,
				`^/manifests/0/spec/template/spec/containers/0/securityContext/capabilities/add (removed|null|empty list)$`,
				`^/manifests/0/spec/template/spec/containers/0/securityContext/capabilities/add/0 removed$`,
				`^/manifests/0/spec/template/spec/containers/0/securityContext/(privileged|allowPrivilegeEscalation) false$`,
				`^/manifests/1$`, `^/manifests/1/data(/.*)?$`,
				// Trusting no forwarded header, or the default one; a Middleware
				// without forwardAuth.
				`^/manifests/2/data (removed|null|empty object|wrapped in a template|wrapped in a List)$`,
				`^/manifests/2/data/use-forwarded-headers$`,
				`^/manifests/2/data/forwarded-for-header (removed|empty string)$`,
				`^/manifests/3/spec$`, `^/manifests/3/spec/forwardAuth removed$`,
				`^/manifests/[23] (removed|wrapped in a List)$`,
				// Applying fewer objects, or the same ones in a List.
				`^/manifests/0 (removed|wrapped in a List)$`,
				// Unset privileged is false (the Kubernetes default).
				`^/manifests/0/spec/template/spec/containers/0/securityContext/privileged (removed|null)$`,
			},
		},
		{
			name:   "terraform",
			config: map[string]any{},
			seed: `{"action": "terraform.apply", "terraform_plan": {"format_version": "1.2", "resource_changes": [
				{"address": "aws_security_group.web", "type": "aws_security_group", "change": {"actions": ["update"], "after": {"name": "web", "ingress": [{"from_port": 443, "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": ["fd00::/8"]}]}}},
				{"address": "aws_security_group_rule.ssh", "type": "aws_security_group_rule", "change": {"actions": ["create"], "after": {"type": "ingress", "cidr_blocks": ["10.1.0.0/16"]}}},
				{"address": "aws_vpc_security_group_ingress_rule.https", "type": "aws_vpc_security_group_ingress_rule", "change": {"actions": ["create"], "after": {"cidr_ipv4": "10.2.0.0/16"}}},
				{"address": "google_compute_firewall.web", "type": "google_compute_firewall", "change": {"actions": ["create"], "after": {"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["10.3.0.0/16"]}}},
				{"address": "azurerm_network_security_rule.web", "type": "azurerm_network_security_rule", "change": {"actions": ["create"], "after": {"direction": "Inbound", "access": "Allow", "source_address_prefix": "10.4.0.0/16"}}},
				{"address": "aws_s3_bucket_acl.logs", "type": "aws_s3_bucket_acl", "change": {"actions": ["create"], "after": {"acl": "private"}}}
			]}}`,
			harmless: []string{
				`^/terraform_plan/format_version (` + otherString + `)$`,
				// Fewer changes, or fewer CIDRs, open nothing more.
				`^/terraform_plan/resource_changes (removed|empty list)$`,
				`^/terraform_plan/resource_changes/\d+ removed$`,
				`^/terraform_plan/resource_changes/\d+/address$`,
				`^/terraform_plan/resource_changes/0/change/after/name$`,
				`^/terraform_plan/resource_changes/0/change/after/ingress (removed|null|empty list)$`,
				// A rule without CIDRs (security groups, prefix lists, or
				// attributes the provider does not know) opens nothing.
				`^/terraform_plan/resource_changes/0/change/after/ingress/0 (removed|empty object|wrapped in a template|wrapped in a List)$`,
				`^/terraform_plan/resource_changes/0/change/after/ingress/0/from_port$`,
				`^/terraform_plan/resource_changes/[01]/change/after/(ingress/0/)?(cidr_blocks|ipv6_cidr_blocks) (removed|null|empty list)$`,
				`^/terraform_plan/resource_changes/[01]/change/after/(ingress/0/)?(cidr_blocks|ipv6_cidr_blocks)/0 removed$`,
				`^/terraform_plan/resource_changes/2/change/after/cidr_ipv4 (removed|null)$`,
				// The sources are closed, so what the rule allows, and in
				// which direction, does not open anything.
				`^/terraform_plan/resource_changes/3/change/after/(allow(/0(/protocol)?)?|direction)$`,
				// The source is closed, so direction and access do not
				// matter. An Azure rule needs a source; without one it
				// admits nothing.
				`^/terraform_plan/resource_changes/4/change/after/(direction|access)$`,
				`^/terraform_plan/resource_changes/4/change/after/source_address_prefix (removed|null|empty string)$`,
				// A private or unknown-string ACL (the provider rejects the latter).
				`^/terraform_plan/resource_changes/5/change/after/acl (removed|null|empty string|` + otherString + `)$`,
				// An after without the judged attribute is a resource that
				// opens nothing (Terraform omits nothing it plans to set).
				`^/terraform_plan/resource_changes/\d+/change/after (empty object|wrapped in a template|wrapped in a List)$`,
				// Any type but "egress" is judged as ingress.
				`^/terraform_plan/resource_changes/1/change/after/type$`,
			},
		},
	}
}

// harmlessPattern turns a harmless entry into a regular expression over
// "<path> <mutation kind>": "^PATH$" covers every mutation of PATH, and
// "^PATH (kind|kind)$" only the kinds named.
func harmlessPattern(h string) string {
	if strings.Contains(h, " ") {
		return h
	}
	return strings.TrimSuffix(h, "$") + " .*$"
}

// mutation is one corruption of a seed at a path.
type mutation struct {
	path, kind string
	doc        any
}

// corruptions are the values a field is replaced by: null and one value
// of every JSON type, with the security-looking ones ("true", 1) a
// careless rule would read as set.
var corruptions = []struct {
	kind string
	val  func(orig any) any
}{
	{"null", func(any) any { return nil }},
	{"empty string", func(any) any { return "" }},
	{"string", func(any) any { return "x" }},
	{"string true", func(any) any { return "true" }},
	{"any IPv6 address", func(any) any { return "::/0" }},
	{"any Azure source", func(any) any { return "*" }},
	{"zero", func(any) any { return 0 }},
	{"one", func(any) any { return 1 }},
	{"true", func(any) any { return true }},
	{"false", func(any) any { return false }},
	{"empty object", func(any) any { return map[string]any{} }},
	{"empty list", func(any) any { return []any{} }},
	{"wrapped in a list", func(o any) any { return []any{o} }},
	{"wrapped in a template", func(o any) any { return map[string]any{"template": map[string]any{"spec": o}} }},
	{"wrapped in a List", func(o any) any { return map[string]any{"kind": "List", "items": []any{o}} }},
}

// mutations returns every corruption of doc at every path under it.
func mutations(doc any) []mutation {
	var out []mutation
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				p := append(slices.Clone(path), k)
				out = append(out, mutation{pointer(p), "removed", edit(doc, p, nil, true)})
				for _, c := range corruptions {
					if !sameJSON(c.val(v[k]), v[k]) {
						out = append(out, mutation{pointer(p), c.kind, edit(doc, p, c.val(v[k]), false)})
					}
				}
				walk(p, v[k])
			}
		case []any:
			for i := range v {
				p := append(slices.Clone(path), strconv.Itoa(i))
				out = append(out, mutation{pointer(p), "removed", edit(doc, p, nil, true)})
				for _, c := range corruptions {
					if !sameJSON(c.val(v[i]), v[i]) {
						out = append(out, mutation{pointer(p), c.kind, edit(doc, p, c.val(v[i]), false)})
					}
				}
				walk(p, v[i])
			}
		}
	}
	walk(nil, doc)
	return out
}

func pointer(path []string) string { return "/" + strings.Join(path, "/") }

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// edit returns a deep copy of doc with the value at path replaced by val,
// or removed.
func edit(doc any, path []string, val any, remove bool) any {
	var cp any
	raw, _ := json.Marshal(doc)
	_ = json.Unmarshal(raw, &cp)
	parent := cp
	for _, k := range path[:len(path)-1] {
		switch p := parent.(type) {
		case map[string]any:
			parent = p[k]
		case []any:
			i, _ := strconv.Atoi(k)
			parent = p[i]
		}
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case map[string]any:
		if remove {
			delete(p, last)
		} else {
			p[last] = val
		}
	case []any:
		i, _ := strconv.Atoi(last)
		if remove {
			// Rebuild the parent list without element i.
			return edit(cp, path[:len(path)-1], slices.Delete(slices.Clone(p), i, i+1), false)
		}
		p[i] = val
	}
	return cp
}

// libraryEval prepares the built-in library's decision with config as
// data.ztci.config, as policy.New compiles it (builtin errors raised).
func libraryEval(t testing.TB, config map[string]any) func(doc any) (allow bool, violations []any, err error) {
	t.Helper()
	b, err := policy.Builtin().Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){
		rego.Query(policy.DefaultQuery),
		rego.Store(inmem.NewFromObject(map[string]any{"ztci": map[string]any{"config": config}})),
		rego.StrictBuiltinErrors(true),
	}
	for path, src := range b.Modules {
		if !strings.HasSuffix(path, "_test.rego") {
			opts = append(opts, rego.Module(path, src))
		}
	}
	pq, err := rego.New(opts...).PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return func(doc any) (bool, []any, error) {
		rs, err := pq.Eval(context.Background(), rego.EvalInput(doc))
		if err != nil {
			return false, nil, err
		}
		if len(rs) != 1 {
			return false, nil, fmt.Errorf("%d results", len(rs))
		}
		d, _ := rs[0].Expressions[0].Value.(map[string]any)
		vs, _ := d["violations"].([]any)
		return d["allow"] == true, vs, nil
	}
}

func TestLibraryMutationsNeverAllow(t *testing.T) {
	t.Parallel()
	for _, rs := range ruleSets() {
		t.Run(rs.name, func(t *testing.T) {
			t.Parallel()
			eval := libraryEval(t, rs.config)
			var seed any
			if err := json.Unmarshal([]byte(rs.seed), &seed); err != nil {
				t.Fatal(err)
			}
			if allow, vs, err := eval(seed); err != nil || !allow {
				t.Fatalf("seed not allowed: %v %v", vs, err)
			}
			harmless := make([]*regexp.Regexp, len(rs.harmless))
			for i, h := range rs.harmless {
				harmless[i] = regexp.MustCompile(harmlessPattern(h))
			}
			isHarmless := func(m mutation) bool {
				return slices.ContainsFunc(harmless, func(re *regexp.Regexp) bool { return re.MatchString(m.path + " " + m.kind) })
			}
			ms := mutations(seed)
			denied := 0
			for _, m := range ms {
				allow, vs, err := eval(m.doc)
				switch {
				case err != nil:
					t.Errorf("%s %s: evaluation error instead of a deny with a reason: %v", m.path, m.kind, err)
				case allow && !isHarmless(m):
					t.Errorf("%s %s: allowed, and the rule set does not classify %s as harmless", m.path, m.kind, m.path)
				case !allow:
					denied++
					if len(vs) == 0 {
						t.Errorf("%s %s: denied without a reason", m.path, m.kind)
					}
				}
			}
			t.Logf("%d mutations, %d denied", len(ms), denied)
		})
	}
}
