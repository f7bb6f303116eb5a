package main

import (
	"bytes"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWalkthrough runs the program and checks its story: the job's secret
// masked, the signed image allowed with both attestations, its deploy token
// refused when presented again (the gate's tokens are single-use), the
// re-pushed tag denied, the job's runner-audience token refused by the
// gate, the allow proven in the audit log, and the secret nowhere.
func TestWalkthrough(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(t.Context(), &out, dir); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"job log: login --token=***",
		"gate, signed image: allow 2 attestations verified",
		"gate, the spent token refused: true",
		"gate, re-pushed tag: deny [deploy.unverified",
		"gate, the runner's token refused: true",
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

// The README's "Composed" section is an excerpt of this program: every
// region between README:begin and README:end markers appears in it verbatim
// (one tab of indentation removed), so the snippet compiles and runs.
func TestREADMEExcerpt(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	var cur []string
	in := false
	for _, l := range strings.Split(string(src), "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "// README:begin"):
			in, cur = true, nil
		case strings.TrimSpace(l) == "// README:end":
			in = false
			regions = append(regions, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, strings.TrimPrefix(l, "\t"))
		}
	}
	if len(regions) == 0 {
		t.Fatal("no README regions in main.go")
	}
	for _, r := range regions {
		if !strings.Contains(string(readme), r) {
			t.Errorf("README.md lacks this excerpt of main.go:\n%s", r)
		}
	}
}

// The glue — run from its "---- glue" marker to its end, without blank
// lines, comments and the lines that only print — stays within the 100
// lines the SDK promises a vendor, and the README states its true count.
func TestGlueLines(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	n, in := 0, false
	for _, l := range strings.Split(string(src), "\n") {
		s := strings.TrimSpace(l)
		if strings.HasPrefix(s, "// ---- glue") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if l == "}" { // the end of run
			break
		}
		if s == "" || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "fmt.Fprint") {
			continue
		}
		n++
	}
	if !in {
		t.Fatal(`main.go has no "---- glue" marker`)
	}
	if n > 100 {
		t.Errorf("the glue is %d lines, over 100", n)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("the whole path in %d\nlines of glue", n); !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not say %q", want)
	}
}
