package main

import (
	"bytes"
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWalkthrough runs the program and checks its story: the job's secret
// masked, the signed image allowed with both attestations, the re-pushed tag
// denied, the allow proven in the audit log, and the secret nowhere.
func TestWalkthrough(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(t.Context(), &out, dir); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"job log: login --token=***",
		"gate, signed image: allow 2 attestations verified",
		"gate, re-pushed tag: deny [deploy.unverified",
		"audit: decision allow proven at entry",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	auditLog, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(auditLog, []byte(canary)) || strings.Contains(out.String(), canary) {
		t.Error("the secret's value leaked into the audit log or the output")
	}
}

// The walkthrough is what a vendor can write: it imports no internal package.
func TestImportsOnlyPublicPackages(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.Contains(imp, "/internal") {
			t.Errorf("imports %s", imp)
		}
	}
}
