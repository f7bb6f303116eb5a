package svr_test

import (
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
