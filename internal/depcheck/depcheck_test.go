// Package depcheck holds the test that keeps each ztci package paying only for
// its own job (STYLE.md rule 3): a vendor who imports identity must not link
// OPA, sigstore-go or go-containerregistry, and so on.
package depcheck

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ztci/ztci"

// Heavy dependencies, by module path prefix.
const (
	opa        = "github.com/open-policy-agent/opa"
	sigstoreGo = "github.com/sigstore/sigstore-go"
	ggcr       = "github.com/google/go-containerregistry"
	nats       = "github.com/nats-io"
	pgx        = "github.com/jackc/pgx"
	vault      = "github.com/hashicorp/vault"
	prometheus = "github.com/prometheus"
	bbolt      = "go.etcd.io/bbolt"
	// OpenTelemetry: the API (otel/...) only in the OTel adapters, the SDK
	// and exporters in none of the library's packages (the vendor picks
	// them).
	otel       = "go.opentelemetry.io/otel"
	otelSDK    = "go.opentelemetry.io/otel/sdk"
	otelExport = "go.opentelemetry.io/otel/exporters"
)

// kubeAPI are the Kubernetes API types and their machinery. Only the
// admission front (kubeFront and below) links them; every other package of
// the module, examples included, is checked for them. (k8s.io/klog, which
// sigstore-go links, is not part of them.)
var kubeAPI = []string{"k8s.io/api", "k8s.io/apimachinery"}

const kubeFront = "policy/gate/k8s"

// sigstoreGoLinks is the one piece of go-containerregistry that sigstore-go
// itself links (pkg/sign and pkg/verify → sigstore/pkg/signature/payload →
// ggcr/pkg/name, an image-reference parser with no further ggcr imports), so
// packages built on sigstore-go cannot avoid it. The rest of ggcr stays
// forbidden for them.
const sigstoreGoLinks = ggcr + "/pkg/name"

type rule struct {
	forbidden []string
	allowed   []string // exact packages exempt from forbidden
}

// rules apply to a package and, unless a longer prefix has its own rule, to
// every package below it. Backends (NATS, PostgreSQL, Vault) are linked only by
// the subpackage named after them.
var rules = map[string]rule{
	"audit":          {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault, otel}},
	"audit/otelsink": {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault, otelSDK, otelExport}},
	// The acknowledging log processor: the OTel log SDK, no exporter.
	"audit/otelsink/ackprocessor": {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault, otelExport}},
	"audit/natsink":               {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"audit/natsanomaly":           {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"audit/natskill":              {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"audit/natswitness":           {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"identity":                    {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault}},
	"identity/oidc/natsreplay":    {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"identity/oidc/natskeys":      {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"identity/oidc/pgreplay":      {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, vault}},
	"secrets":                     {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault}},
	"secrets/postgres":            {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, vault}},
	"secrets/vault":               {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx}},
	"secrets/natslease":           {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, pgx, vault}},
	"secrets/pglease":             {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, vault}},
	"policy":                      {forbidden: []string{sigstoreGo, ggcr, nats, pgx, vault}},
	"attest":                      {forbidden: []string{opa, ggcr, nats, pgx, vault}, allowed: []string{sigstoreGoLinks}},
	"attest/ca":                   {forbidden: []string{opa, sigstoreGo, ggcr, nats, pgx, vault}},
	"attest/tsa":                  {forbidden: []string{opa, sigstoreGo, ggcr, nats, pgx, vault}},
	"verify":                      {forbidden: []string{opa, ggcr, nats, pgx, vault}, allowed: []string{sigstoreGoLinks}},
	"verify/image":                {forbidden: []string{opa, prometheus, nats, pgx, vault}},
	"verify/tuf":                  {forbidden: []string{opa, ggcr, prometheus, nats, pgx, vault}, allowed: []string{sigstoreGoLinks}},
	"attest/attach":               {forbidden: []string{opa, prometheus, nats, pgx, vault}},
	// The OCI client of verify/image and attest/attach: ggcr, and nothing of
	// Sigstore, whose verification its callers bring.
	"internal/oci": {forbidden: []string{opa, sigstoreGo, prometheus, nats, pgx, vault}},
	// The composed deploy gate (identity, image verification, policy,
	// audit) may link everything; "policy" alone links no sigstore-go.
	"policy/gate": {},
	// Signed OPA bundles from OCI registries: verify/image on top of
	// policy, so ggcr and sigstore-go, and no backend.
	"policy/ocibundle": {forbidden: []string{prometheus, nats, pgx, vault}},
	// The gate's OpenTelemetry adapter: the OTel API, never its SDK.
	"policy/gate/gateotel": {forbidden: []string{otelSDK, otelExport}},
	// The gate's Kubernetes admission front: the gate plus the Kubernetes
	// API types, which nothing else links (see kubeAPI).
	kubeFront: {},
	// The admission index is pure; each store engine is linked only by the
	// subpackage named after it.
	"attest/inventory":               {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault, bbolt}},
	"attest/inventory/boltinventory": {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, pgx, vault}},
	"attest/inventory/pginventory":   {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, nats, vault, bbolt}},
	// Drift reads verified VEX statements in the attest/vex model, which
	// links sigstore-go through attest; a policy engine stays out (a policy
	// revision is re-run through drift.Evaluator, which the caller brings).
	"attest/inventory/drift": {forbidden: []string{opa, ggcr, prometheus, nats, pgx, vault, bbolt}, allowed: []string{sigstoreGoLinks}},
	// The kill -9 test's runner process of secrets/natslease: a broker on
	// the NATS lease registry issuing PostgreSQL roles.
	"secrets/natslease/internal/testrunner": {forbidden: []string{opa, sigstoreGo, ggcr, prometheus, vault}},
}

// ruleFor returns the rule of the longest prefix of pkg (relative to the
// module) that has one.
func ruleFor(rel string) (rule, bool) {
	for p := rel; p != "."; p = parent(p) {
		if r, ok := rules[p]; ok {
			return r, true
		}
	}
	return rule{}, false
}

func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

func TestDependencies(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := strings.Fields(string(out))
	for name := range rules {
		if !slices.Contains(pkgs, module+"/"+name) {
			t.Errorf("rule for %s names no package; update the rules", name)
		}
	}
	for _, pkg := range pkgs {
		rel := strings.TrimPrefix(pkg, module+"/")
		r, ok := ruleFor(rel)
		if rel != kubeFront && !strings.HasPrefix(rel, kubeFront+"/") {
			r.forbidden, ok = append(slices.Clone(r.forbidden), kubeAPI...), true
		}
		if !ok {
			continue // the admission front composes freely
		}
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			checkDeps(t, pkg, r)
		})
	}
}

func checkDeps(t *testing.T, pkg string, r rule) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	for dep := range strings.SplitSeq(string(out), "\n") {
		if slices.Contains(r.allowed, dep) {
			continue
		}
		for _, bad := range r.forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("%s links %s (forbidden: %s)", pkg, dep, bad)
			}
		}
	}
}
