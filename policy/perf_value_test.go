package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ztci/ztci/identity"
)

// signerN is a signer distinct from signerN(m) for every m != n, and from
// the base signer in one claim only.
func signerN(n int) Signer {
	return Signer{SAN: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com",
		Claims: identity.Claims{Repository: "https://github.com/acme/app", Ref: "refs/heads/main", RunID: fmt.Sprint(n)}}
}

// TestPerfValueSharedSignersMatchJSON: the conversion shares the value of
// equal signers within one input; whatever it shares, every input still
// converts to exactly what OPA builds from its JSON encoding, signers that
// differ in one claim stay apart, and more distinct signers than it
// remembers still convert.
func TestPerfValueSharedSignersMatchJSON(t *testing.T) {
	t.Parallel()
	many := make([]Attestation, 3*maxSignerValues)
	for i := range many {
		many[i] = Attestation{PredicateType: "p", Signer: signerN(i % (2 * maxSignerValues))}
	}
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{name: "one signer everywhere", in: Input{Artifacts: []Artifact{
			{Name: "a", Signer: signerN(1), Attestations: []Attestation{{Signer: signerN(1)}, {Signer: signerN(1)}}},
			{Name: "b", Signer: signerN(1), Attestations: []Attestation{{Signer: signerN(1)}}},
		}}},
		{name: "signers differing in one claim", in: Input{Artifacts: []Artifact{
			{Name: "a", Signer: signerN(1), Attestations: []Attestation{{Signer: signerN(1)}, {Signer: signerN(2)}}},
			{Name: "b", Signer: signerN(2), Attestations: []Attestation{{Signer: signerN(3)}, {Signer: Signer{}}}},
		}}},
		{name: "more signers than remembered", in: Input{Artifacts: []Artifact{{Name: "a", Signer: signerN(0), Attestations: many}}}},
		{name: "counts OPA does not intern", in: Input{Artifacts: []Artifact{{Attestations: []Attestation{
			{Signer: signerN(1), Scan: &Scan{Critical: 100000, High: -3, Findings: []Finding{{ID: "CVE-1", Aliases: []string{"GHSA-x", "", "GHSA-y"}}}}},
		}}}}},
		{name: "free-form members", in: Input{TerraformPlan: map[string]any{"a": []any{"x", map[string]any{"format_version": "1.2", "k": nil}}, "": "v"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.in.toValue()
			if err != nil {
				t.Fatal(err)
			}
			if want := viaJSON(t, &tc.in); got.Compare(want) != 0 {
				t.Fatalf("direct conversion differs from JSON:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestPerfValueObjOverflow: an object given more fields than it was sized
// for gets a term of its own for each field beyond, and the terms handed
// out before keep their values.
func TestPerfValueObjOverflow(t *testing.T) {
	t.Parallel()
	o := newObj(1)
	o.str("name", "first-"+strings.Repeat("x", 3))
	o.str("digest", "second")
	o.val("job", ast.NewObject())
	want := ast.NewObject(ast.Item(ast.StringTerm("name"), ast.StringTerm("first-xxx")),
		ast.Item(ast.StringTerm("digest"), ast.StringTerm("second")),
		ast.Item(ast.StringTerm("job"), ast.NewTerm(ast.NewObject())))
	if got := o.object(); got.Compare(want) != 0 {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestPerfValueNoSharingAcrossInputs: what one conversion shares stays in
// it. Two inputs converted one after the other, and converted again in
// the other order, each match their own JSON encoding.
func TestPerfValueNoSharingAcrossInputs(t *testing.T) {
	t.Parallel()
	a := Input{Action: ActionDeploy, Artifacts: []Artifact{{Name: "a", Signer: signerN(1), Attestations: []Attestation{{Signer: signerN(1)}}}}}
	b := Input{Action: ActionDeploy, Artifacts: []Artifact{{Name: "a", Signer: signerN(2), Attestations: []Attestation{{Signer: signerN(2)}}}}}
	for _, in := range []*Input{&a, &b, &b, &a} {
		got, err := in.toValue()
		if err != nil {
			t.Fatal(err)
		}
		if want := viaJSON(t, in); got.Compare(want) != 0 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// TestPerfValueEqualSignersConvertOnce: an artifact signed throughout by
// one signer (the usual case: an artifact's signer is its first
// attestation's) costs fewer allocations than one with a signer per
// attestation.
func TestPerfValueEqualSignersConvertOnce(t *testing.T) {
	same := Input{Artifacts: []Artifact{{Signer: signerN(1), Attestations: []Attestation{{Signer: signerN(1)}, {Signer: signerN(1)}}}}}
	distinct := Input{Artifacts: []Artifact{{Signer: signerN(1), Attestations: []Attestation{{Signer: signerN(2)}, {Signer: signerN(3)}}}}}
	allocs := func(in *Input) float64 {
		return testing.AllocsPerRun(50, func() {
			if _, err := in.toValue(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if s, d := allocs(&same), allocs(&distinct); s >= d {
		t.Fatalf("one signer throughout: %v allocations, a signer each: %v; want fewer", s, d)
	}
}
