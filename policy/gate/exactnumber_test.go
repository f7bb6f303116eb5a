package gate_test

import (
	"encoding/json"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/policy/gate"
)

// TestProvenanceNumbersExact: the gate hands policy provenance's external
// parameters with their numbers as written, as policy.DecodeInput and
// verify's expectations read them. Read as float64, an id beyond 2^53
// (9007199254740993) became its neighbour for the gate's policy alone, so
// one statement held one id for verify and another for policy.
func TestProvenanceNumbersExact(t *testing.T) {
	t.Parallel()
	st := &attest.Statement{
		PredicateType: attest.PredicateSLSAProvenanceV1,
		Predicate: json.RawMessage(`{"buildDefinition":{"buildType":"https://example.com/bt","externalParameters":` +
			`{"run_id":9007199254740993,"nested":{"size":18446744073709551617}}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`),
	}
	p := gate.Provenance(st)
	if p == nil {
		t.Fatal("Provenance = nil")
	}
	if got, ok := p.ExternalParameters["run_id"].(json.Number); !ok || got != "9007199254740993" {
		t.Errorf("run_id = %#v, want json.Number 9007199254740993", p.ExternalParameters["run_id"])
	}
	nested, _ := p.ExternalParameters["nested"].(map[string]any)
	if got, ok := nested["size"].(json.Number); !ok || got != "18446744073709551617" {
		t.Errorf("nested.size = %#v, want json.Number 18446744073709551617", nested["size"])
	}
}
