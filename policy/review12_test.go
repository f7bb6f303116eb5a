package policy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
)

// TestJSONSchemaBuiltinsRefused: json.match_schema and json.verify_schema
// resolve a schema's "$ref" to a file:// URL by reading the host's file
// (allow_net bounds only their http fetches), so a policy could put the
// gate's keys or credentials into a violation message, or hang on a FIFO.
// A policy calling either does not compile.
func TestJSONSchemaBuiltinsRefused(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type": "object", "required": ["host-secret-7f3a"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := "file://" + filepath.ToSlash(secret)
	for name, expr := range map[string]string{
		"match_schema":  `json.match_schema({}, {"$ref": "` + ref + `"})`,
		"verify_schema": `json.verify_schema({"$ref": "` + ref + `"})`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := fsPolicy("package test\ndecision := {\"allow\": false, \"violations\": [{\"rule\": \"leak\", \"message\": sprintf(\"%v\", [" + expr + "])}]}")
			e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"))
			if err == nil {
				d, err := e.Evaluate(t.Context(), policy.Input{})
				t.Fatalf("a policy calling %s compiled; it decided %v %v, %v", name, d, d.Violations, err)
			}
			var ce *policy.CompileError
			if !errors.Is(err, policy.ErrCompile) || !errors.As(err, &ce) {
				t.Fatalf("got %v, want a CompileError", err)
			}
		})
	}
}

// TestFreeFormNilIsNull: a nil map or slice in a free-form section is
// null, as in the Input's JSON encoding (the document audited, and the
// one a remote caller sends), not an empty object or list. A Terraform
// plan whose resource_changes was a nil []any was allowed as a plan that
// changes nothing; its JSON encoding is denied as malformed.
func TestFreeFormNilIsNull(t *testing.T) {
	t.Parallel()
	e := newBuiltin(t)
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "x", "namespace": "default"},
		"spec": map[string]any{"volumes": []any(nil), "containers": []any{map[string]any{
			"name": "c", "image": "ghcr.io/acme/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			"securityContext": map[string]any{"allowPrivilegeEscalation": false, "runAsNonRoot": true},
		}}}}
	for name, tc := range map[string]struct {
		in   policy.Input
		rule string
	}{
		"terraform nil resource_changes": {policy.Input{Action: policy.ActionTerraformApply,
			TerraformPlan: map[string]any{"format_version": "1.2", "resource_changes": []any(nil)}}, "terraform.malformed"},
		"pod nil volumes": {policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{pod}}, "kubernetes.malformed"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := e.Evaluate(t.Context(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed || !slices.Contains(rules(d), tc.rule) {
				t.Errorf("Go input: got %v, want a deny with %s", d, tc.rule)
			}
			raw, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			in, err := policy.DecodeInput(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			dj, err := e.Evaluate(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != dj.String() {
				t.Errorf("Go input decided %v, its JSON encoding %v", d, dj)
			}
		})
	}

	// What the policy sees, section by section: null where JSON has null.
	echo, err := policy.New(t.Context(), fsPolicy(`package test
decision := {"allow": false, "violations": [{"rule": "echo", "message": json.marshal(input.terraform_plan.x)}]}`),
		policy.WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"nil map":               map[string]any(nil),
		"nil list":              []any(nil),
		"nil []string":          []string(nil),
		"nil map[string]string": map[string]string(nil),
		"nil map in a list":     []any{map[string]any(nil), []any{}},
		"nil typed list":        []map[string]any(nil),
	} {
		in := policy.Input{TerraformPlan: map[string]any{"x": v}}
		d, err := echo.Evaluate(t.Context(), in)
		if err != nil || len(d.Violations) != 1 {
			t.Errorf("%s: %v, %v", name, d, err)
			continue
		}
		want, _ := json.Marshal(v)
		if got := d.Violations[0].Message; got != string(want) {
			t.Errorf("%s: the policy saw %s, the JSON encoding is %s", name, got, want)
		}
	}
	// Strings of the typed containers OPA converts itself are checked as
	// every other free-form string is.
	for name, v := range map[string]any{
		"[]string":               []string{"ok", "a\xffb"},
		"map[string]string name": map[string]string{"host\xffNetwork": "x"},
		"map[string]string":      map[string]string{"k": "a\xffb"},
	} {
		d, err := echo.Evaluate(t.Context(), policy.Input{TerraformPlan: map[string]any{"x": v}})
		if !errors.Is(err, policy.ErrInvalidInput) || d.Allowed {
			t.Errorf("invalid UTF-8 in %s: got %v, %v; want ErrInvalidInput", name, d, err)
		}
	}
}

// TestConfigPackageRefused: a module beside the library may not declare
// package ztci.config (or one inside it): it could define a setting the
// configuration leaves unset, even for some inputs only, which the check
// at load cannot see. "untrusted_triggers := []" released production
// secrets to a pull_request_target job.
func TestConfigPackageRefused(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"setting":                 "package ztci.config\n\nuntrusted_triggers := []\n",
		"setting for some inputs": "package ztci.config\n\nuntrusted_triggers := [] if input.job.actor == \"mallory\"\n",
		"inside a section":        "package ztci.config.deploy\n\ndeny_severity := \"low\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra := policy.FS(fstest.MapFS{"vendor/extra.rego": {Data: []byte(src)}})
			for _, lib := range []policy.Source{policy.Merge(policy.Builtin(), policy.Data(libraryConfig())), policy.Builtin()} {
				e, err := policy.New(t.Context(), policy.Merge(lib, extra))
				if err == nil {
					in := deployInput()
					in = policy.Input{Action: policy.ActionSecretsRelease, Job: in.Job, Secrets: &policy.SecretsRequest{Names: []string{"prod/db-password"}}}
					in.Job.Trigger, in.Job.Actor = "pull_request_target", "mallory"
					d, _ := e.Evaluate(t.Context(), in)
					e.Close()
					t.Fatalf("a module in the configuration's package was loaded beside the library (it decided %v)", d)
				}
				if !errors.Is(err, policy.ErrLibraryPackage) || !errors.Is(err, policy.ErrLoad) {
					t.Fatalf("error %v, want ErrLibraryPackage", err)
				}
			}
		})
	}
	// A package of its own whose name starts alike still loads.
	e, err := policy.New(t.Context(), policy.Merge(policy.Builtin(), policy.FS(fstest.MapFS{
		"vendor/extra.rego": {Data: []byte("package ztci.configuration\n\nx := 1\n")}})))
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}

// TestBuiltinWithLeavesNothingUnset: BuiltinWith's configuration is the
// whole configuration. A setting at its default is written as null, so a
// source merged beside it cannot set it: a bundle merged for its rules
// whose data said {"untrusted_triggers": []} trusted every trigger,
// although the LibraryConfig said nothing of them.
func TestBuiltinWithLeavesNothingUnset(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]map[string]any{
		"untrusted_triggers": {"untrusted_triggers": []any{}},
		"protected_branches": {"pipeline": map[string]any{"protected_branches": []any{"*"}}},
		"source_refs":        {"deploy": map[string]any{"source_refs": []any{"refs/heads/*"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra := policy.Data(map[string]any{"ztci": map[string]any{"config": doc}})
			e, err := policy.New(t.Context(), policy.Merge(policy.BuiltinWith(acmeConfig()), extra))
			if err == nil {
				e.Close()
				t.Fatal("another source set a setting of BuiltinWith's configuration")
			}
			if !errors.Is(err, policy.ErrLoad) || !strings.Contains(err.Error(), "defined twice") {
				t.Fatalf("error %v, want a leaf defined twice", err)
			}
		})
	}

	// Every member of the library's configuration schema is written, so
	// that none is left for another source (fails when LibraryConfig leaves
	// a new optional member out and unsetMembers does not list it).
	b, err := policy.BuiltinWith(policy.LibraryConfig{}).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cfg := b.Data["ztci"].(map[string]any)["config"].(map[string]any)
	schema, err := policy.New(t.Context(), policy.Merge(policy.Builtin(), policy.FS(fstest.MapFS{"zz/schema.rego": {Data: []byte(`package zz
decision := {"allow": false, "violations": [{"rule": "schema", "message": json.marshal(data.ztci.lib.config_schema)}]}`)}})),
		policy.WithQuery("data.zz.decision"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := schema.Evaluate(t.Context(), policy.Input{})
	if err != nil || len(d.Violations) != 1 {
		t.Fatalf("schema: %v, %v", d, err)
	}
	var sections map[string]map[string]string
	if err := json.Unmarshal([]byte(d.Violations[0].Message), &sections); err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg["untrusted_triggers"]; !ok {
		t.Error("untrusted_triggers left out")
	}
	for section, members := range sections {
		m, ok := cfg[section].(map[string]any)
		if !ok {
			t.Errorf("section %s left out", section)
			continue
		}
		for k := range members {
			if _, ok := m[k]; !ok {
				t.Errorf("%s.%s left out", section, k)
			}
		}
	}
}
