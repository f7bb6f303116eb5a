package attest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/svr"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/internal/strictjson"
)

// TestReview6RefusalsQuoteBoundedInput: the parsers promise to quote at
// most 64 bytes of untrusted input, but a repeated or case-varied member
// name was quoted whole by strictjson's MemberError (name and JSON
// pointer): a document of megabytes made an error of megabytes, logged and
// audited as is. The refusal must stay a MemberError (ErrAmbiguous).
func TestReview6RefusalsQuoteBoundedInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Q", 100_000)
	docs := map[string][]byte{
		"repeat": []byte(`{"` + long + `":1,"` + long + `":2}`),
		"nested": []byte(`{"` + long + `":{"a":1,"A":2}}`),
	}
	for name, parse := range map[string]func([]byte) error{
		"statement":   func(b []byte) error { _, err := attest.ParseStatement(b); return err },
		"vex":         func(b []byte) error { _, err := vex.Parse(b); return err },
		"vsa":         func(b []byte) error { _, err := vsa.ParsePredicate(b); return err },
		"svr":         func(b []byte) error { _, err := svr.ParsePredicate(b); return err },
		"secretsprov": func(b []byte) error { _, err := secretsprov.Parse(b); return err },
		"osv":         func(b []byte) error { _, err := drift.ParseOSV(b); return err },
		"vuln":        func(b []byte) error { _, err := vuln.ParseScan(b); return err },
		"trivy":       func(b []byte) error { _, err := vuln.ParseTrivy(b); return err },
		"cyclonedx":   func(b []byte) error { _, err := inventory.CycloneDXPackages(b); return err },
		"spdx":        func(b []byte) error { _, err := inventory.SPDXPackages(b); return err },
	} {
		for kind, doc := range docs {
			err := parse(doc)
			if err == nil {
				t.Errorf("%s/%s: accepted", name, kind)
				continue
			}
			if n := len(err.Error()); n > 1024 {
				t.Errorf("%s/%s: error of %d bytes quotes the input: %.120s…", name, kind, n, err)
			}
			if name != "statement" && name != "vuln" && name != "trivy" && !errors.Is(err, strictjson.ErrAmbiguous) {
				t.Errorf("%s/%s: %v does not wrap strictjson.ErrAmbiguous", name, kind, err)
			}
		}
	}
}
