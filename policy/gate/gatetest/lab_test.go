package gatetest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

func TestWithSBOM(t *testing.T) {
	ctx := t.Context()
	for _, doc := range []string{``, `[]`, `{"spdxVersion":"SPDX-2.3"}`, `{"bomFormat":"cyclonedx"}`} {
		if _, err := gatetest.Start(ctx, gatetest.WithSBOM([]byte(doc))); !errors.Is(err, gatetest.ErrConfig) {
			t.Errorf("WithSBOM(%q): %v, want ErrConfig", doc, err)
		}
	}
	doc := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"canary-component"}]}`)
	lab, err := gatetest.Start(ctx, gatetest.WithSBOM(doc))
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	doc[0] = '[' // the Lab keeps its own copy
	img, err := lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	var sboms int
	for _, b := range img.Bundles {
		st := statementOf(t, b)
		if st.PredicateType == attest.PredicateCycloneDX {
			sboms++
			if !bytes.Contains(st.Predicate, []byte("canary-component")) {
				t.Errorf("SBOM predicate %s is not the document given", st.Predicate)
			}
		}
	}
	if sboms != 1 {
		t.Errorf("%d SBOMs attached, want 1", sboms)
	}
}

// statementOf reads, unverified, the in-toto statement of a DSSE bundle.
func statementOf(t *testing.T, bundle []byte) *attest.Statement {
	t.Helper()
	var b struct {
		DSSE struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(b.DSSE.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
