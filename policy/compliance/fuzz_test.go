package compliance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

func FuzzParseCatalog(f *testing.F) {
	b, err := fs.ReadFile(policy.Library(), compliance.BuiltinPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":1,"frameworks":[{"id":"f","title":"F","href":"https://f.example"}],"evidence":{},"controls":[{"id":"F-1","framework":"f","label":"1","title":"One"}],"rules":{"a.b":{"action":"deploy","controls":["F-1"],"why":"w"}}}`))
	f.Add([]byte(`{"version":1,"Version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cat, err := compliance.ParseCatalog(b)
		if err != nil {
			if !errors.Is(err, compliance.ErrCatalog) {
				t.Fatalf("error does not wrap ErrCatalog: %v", err)
			}
			return
		}
		// Whatever it accepts, a report can be made of and written.
		r, err := compliance.Assess(cat, "fuzz", t0, compliance.Decision{ID: "d", Action: "deploy"})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := r.OSCAL()
		if err != nil {
			t.Fatalf("OSCAL of an accepted catalog: %v", err)
		}
		if err := compliancetest.ValidateOSCAL(raw); err != nil {
			t.Fatalf("OSCAL of an accepted catalog does not validate: %v", err)
		}
	})
}

func FuzzParseOSCAL(f *testing.F) {
	r, err := compliance.Assess(builtin(f), "app", t0, deployDecision("evt-1", []string{provType}, "deploy.vulnerability"))
	if err != nil {
		f.Fatal(err)
	}
	raw, err := r.OSCAL()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"assessment-results":{"uuid":"8a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","metadata":{"title":"t","last-modified":"2026-03-01T12:00:00Z","version":"1","oscal-version":"1.1.3"},"import-ap":{"href":"#ap"},"results":[{"uuid":"9a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","title":"r","description":"d","start":"2026-03-01T12:00:00Z","reviewed-controls":{"control-selections":[{}]}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := compliance.ParseOSCAL(b)
		if err != nil {
			if !errors.Is(err, compliance.ErrOSCAL) {
				t.Fatalf("error does not wrap ErrOSCAL: %v", err)
			}
			return
		}
		// What it accepts is valid OSCAL, and written again reads back the
		// same.
		if err := compliancetest.ValidateOSCAL(b); err != nil {
			t.Fatalf("accepted what NIST's schema refuses: %v", err)
		}
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := compliance.ParseOSCAL(out)
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, out)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("not a fixed point:\n%s\n%s", out, again)
		}
	})
}
