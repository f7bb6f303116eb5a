package svr_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

// A gate records an allow as a Simple Verification Result about the image
// digest: the policy passed, and the controls its compliance report shows
// as passed; a consumer reads it back from the verified Statement.
func Example() {
	r, err := svr.FromDecision("https://gate.example/prod", svr.Decision{
		Allowed:        true,
		PolicyRevision: "deploy-2026-03",
		Time:           time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Passed:         []string{"SSDF-PS.2.1", "SLSA-BUILD-L2.provenance-authentic"},
	})
	if err != nil {
		panic(err)
	}
	digest := strings.Repeat("ab", 32)
	st, err := attest.NewStatement(
		[]attest.ResourceDescriptor{{Name: "registry.example/app", Digest: attest.DigestSet{"sha256": digest}}},
		svr.Predicate(r))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(st.Predicate))
	// ... attest.Sign(ctx, signer, st), attach, and later verify the bundle;
	// then, on the verified Statement:
	back, err := svr.FromStatement(st)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Has(svr.PropertyAllowed), back.PolicyRevision())
	// Output:
	// {"verifier":{"id":"https://gate.example/prod","policy":{"uri":"urn:ztci:policy","annotations":{"ztci.dev/policy-revision":"deploy-2026-03"}}},"timeCreated":"2026-03-01T12:00:00Z","properties":["ZTCI_POLICY_ALLOWED","SSDF-PS.2.1","SLSA-BUILD-L2.provenance-authentic"]}
	// true deploy-2026-03
}

// A consumer about to deploy an image checks the gate's result against
// what it expects before relying on it: the image's digest among the
// subjects, the gate it trusts as verifier, a fresh timeCreated (neither
// too old nor in the future), the policy's allow and an accepted policy
// revision. st is the Statement of a bundle verified with a verifier
// pinned to the gate's signing identity.
func ExampleExpect_Check() {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	image := attest.Digest{Algorithm: attest.AlgSHA256, Value: strings.Repeat("ab", 32)}
	statement := func(d svr.Decision) *attest.Statement {
		r, err := svr.FromDecision("https://gate.example/prod", d)
		if err != nil {
			panic(err)
		}
		st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "registry.example/app", Digest: image.Set()}}, svr.Predicate(r))
		if err != nil {
			panic(err)
		}
		return st
	}
	want := svr.Expect{
		Subject:         image,
		Repository:      "registry.example/app",
		VerifierID:      "https://gate.example/prod",
		MaxAge:          time.Hour,
		PolicyRevisions: []string{"deploy-2026-03"},
		Now:             func() time.Time { return created.Add(10 * time.Minute) },
	}

	allow := statement(svr.Decision{Allowed: true, PolicyRevision: "deploy-2026-03", Time: created})
	r, err := want.Check(allow)
	fmt.Println("allow:", err, r != nil && r.Has(svr.PropertyAllowed))

	// A deny still lists the controls it passed, never the allow.
	deny := statement(svr.Decision{Allowed: false, PolicyRevision: "deploy-2026-03", Time: created, Passed: []string{"SSDF-PS.2.1"}})
	_, err = want.Check(deny)
	fmt.Println("deny:", errors.Is(err, svr.ErrNotAllowed))

	// A result dated an hour ahead is not the freshest there is.
	future := statement(svr.Decision{Allowed: true, PolicyRevision: "deploy-2026-03", Time: created.Add(70 * time.Minute)})
	_, err = want.Check(future)
	var mm *svr.MismatchError
	fmt.Println("future:", errors.Is(err, svr.ErrFuture), errors.As(err, &mm) && mm.Field == "timeCreated")

	// Another image's result.
	other := want
	other.Subject = attest.Digest{Algorithm: attest.AlgSHA256, Value: strings.Repeat("cd", 32)}
	_, err = other.Check(allow)
	fmt.Println("other image:", errors.Is(err, svr.ErrSubjectMismatch))

	// The zero Expect accepts nothing.
	_, err = svr.Expect{}.Check(allow)
	fmt.Println("zero Expect:", errors.Is(err, svr.ErrExpectation))
	// Output:
	// allow: <nil> true
	// deny: true
	// future: true true
	// other image: true
	// zero Expect: true
}
