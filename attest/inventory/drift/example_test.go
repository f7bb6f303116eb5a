package drift_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/audit/audittest"
)

// Two admitted artifacts; a GitHub advisory for golang.org/x/net below
// 0.33.0 arrives; the one holding v0.30.0 drifts, and the audit event names
// the decision that admitted it.
func Example() {
	ctx := context.Background()
	store := inventory.NewMemory()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, v := range []string{"v0.30.0", "v0.35.0"} {
		if err := store.Record(ctx, inventory.Admission{
			DecisionID: fmt.Sprintf("decision-%d", i+1), Digest: inventorytest.Digest(v),
			Image: "registry.example/app:" + v, PolicyRevision: "rev-7", Time: t0,
			Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@" + v}},
		}); err != nil {
			fmt.Println(err)
			return
		}
	}
	sink := audittest.NewRecorder() // an audit.Log, a webhook… in production
	d, err := drift.New(store, sink, drift.WithObserver(func(c drift.Change) {
		_ = c.Latency // feed the MTTD histogram here
	}))
	if err != nil {
		fmt.Println(err)
		return
	}

	record, err := os.ReadFile("testdata/GHSA-w32m-9786-jp63.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	arrived := time.Now()
	adv, err := drift.ParseOSV(record)
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := d.Advisory(ctx, adv, arrived)
	if err != nil {
		fmt.Println("detection did not run:", err)
		return
	}
	fmt.Println(len(rep.Changes), "artifact drifted,", len(rep.Skipped), "parts skipped")
	for _, e := range sink.Events() {
		fmt.Println(e.Action, e.Attributes["image"], e.Attributes["decision_id"], e.Attributes["advisory_id"], e.Attributes["packages"])
	}
	// Output:
	// 1 artifact drifted, 0 parts skipped
	// inventory.drift.advisory registry.example/app:v0.30.0 decision-1 GHSA-w32m-9786-jp63 pkg:golang/golang.org/x/net@v0.30.0
}

// A GIT range names commits: it is reported as skipped, never dropped.
func ExampleAdvisory_Queries() {
	adv, err := drift.ParseOSV([]byte(`{"id":"EX-1","modified":"2026-01-01T00:00:00Z","affected":[
		{"package":{"ecosystem":"PyPI","name":"Django"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"4.2"},{"fixed":"4.2.8"}]}]},
		{"package":{"ecosystem":"OSS-Fuzz","name":"lib","purl":"pkg:generic/lib"},
		 "ranges":[{"type":"GIT","repo":"https://example.org/lib.git","events":[{"introduced":"0"},{"fixed":"9f0c1e2"}]}]}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	qs, skips := adv.Queries()
	for _, q := range qs {
		fmt.Printf("%s %+v\n", q.Package, q.Ranges)
	}
	for _, s := range skips {
		fmt.Println("skipped:", s)
	}
	// Output:
	// pkg:pypi/django [{Introduced:4.2 Fixed:4.2.8 LastAffected:}]
	// skipped: affected[1] pkg:generic/lib ranges[0]: drift: GIT range: commits cannot be compared with package versions
}

// A release workflow's signing identity is revoked: the artifact whose
// admission relied on an attestation it signed drifts, whatever OIDC issuer
// vouched for it.
func ExampleDetector_RevokedSigner() {
	ctx := context.Background()
	store := inventory.NewMemory()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, san := range []string{"https://ci.example/release.yml", "https://ci.example/nightly.yml"} {
		if err := store.Record(ctx, inventory.Admission{
			DecisionID: fmt.Sprintf("decision-%d", i+1), Digest: inventorytest.Digest(san), Image: fmt.Sprintf("registry.example/app:%d", i+1),
			Time: t0, Signers: []inventory.Signer{{Issuer: "https://issuer.example", SAN: san}},
		}); err != nil {
			fmt.Println(err)
			return
		}
	}
	sink := audittest.NewRecorder()
	d, err := drift.New(store, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := d.RevokedSigner(ctx, drift.SignerRevocation{SAN: "https://ci.example/nightly.yml", Reason: "workflow compromised"}, time.Now())
	if err != nil {
		fmt.Println("detection did not run:", err)
		return
	}
	fmt.Println(rep.Cause, len(rep.Changes))
	for _, e := range sink.Events() {
		fmt.Println(e.Action, e.Attributes["image"], e.Attributes["decision_id"], e.Attributes["signer_issuers"])
	}
	// Output:
	// san:https://ci.example/nightly.yml 1
	// inventory.drift.signer_revoked registry.example/app:2 decision-2 https://issuer.example
}

// A new policy revision denies unprotected refs; it is re-run on the policy
// input the gate kept for each admission of the previous revision. In
// production the evaluator decodes the input with policy.DecodeInput and
// evaluates it with the new policy.Engine.
func ExampleDetector_PolicyRevision() {
	ctx := context.Background()
	store := inventory.NewMemory()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, protected := range []bool{true, false} {
		if err := store.Record(ctx, inventory.Admission{
			DecisionID: fmt.Sprintf("decision-%d", i+1), Digest: inventorytest.Digest(fmt.Sprint(i)), Image: fmt.Sprintf("registry.example/app:%d", i+1),
			PolicyRevision: "rev-7", Time: t0, PolicyInput: fmt.Appendf(nil, `{"action":"deploy","job":{"protected":%t}}`, protected),
		}); err != nil {
			fmt.Println(err)
			return
		}
	}
	sink := audittest.NewRecorder()
	d, err := drift.New(store, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	rev8 := drift.EvaluatorFunc(func(_ context.Context, input []byte) (bool, []string, error) {
		var in struct{ Job struct{ Protected bool } }
		if err := json.Unmarshal(input, &in); err != nil {
			return false, nil, err
		}
		if !in.Job.Protected {
			return false, []string{"deploy.unprotected_ref"}, nil
		}
		return true, nil, nil
	})
	rep, err := d.PolicyRevision(ctx, rev8, drift.PolicyChange{Revision: "rev-8", Previous: []string{"rev-7"}}, time.Now())
	if err != nil {
		fmt.Println("detection did not fully run:", err)
		return
	}
	fmt.Println(rep.Cause, len(rep.Changes), "unevaluated:", len(rep.Unevaluated))
	for _, e := range sink.Events() {
		fmt.Println(e.Action, e.Attributes["decision_id"], e.Attributes["admitted_policy_revision"], "->", e.PolicyRevision, e.Violations)
	}
	// Output:
	// policy:rev-8 1 unevaluated: 0
	// inventory.drift.policy_revision decision-2 rev-7 -> rev-8 [deploy.unprotected_ref]
}

// A signed VEX statement says the service is not affected by the advisory
// that drifted it: the artifact is compliant again, once.
func ExampleDetector_VEX() {
	ctx := context.Background()
	store := inventory.NewMemory()
	digest := inventorytest.Digest("app v1")
	if err := store.Record(ctx, inventory.Admission{
		DecisionID: "decision-1", Digest: digest, Image: "registry.example/app:v1",
		Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@v0.30.0"}},
	}); err != nil {
		fmt.Println(err)
		return
	}
	sink := audittest.NewRecorder()
	d, err := drift.New(store, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	record, err := os.ReadFile("testdata/GHSA-w32m-9786-jp63.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	adv, err := drift.ParseOSV(record)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := d.Advisory(ctx, adv, time.Now()); err != nil {
		fmt.Println(err)
		return
	}
	// In production: verify the VEX attestation, check its signer is
	// trusted for VEX, then vex.FromStatement(verified.Statement).
	doc, err := vex.Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vex.example/1","author":"Example Security",
		"timestamp":"2026-03-02T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2024-45338"},
		"products":[{"@id":"pkg:oci/app@sha256%3A` + strings.TrimPrefix(digest, "sha256:") + `?repository_url=registry.example/app"}],
		"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range drift.StatementsOf(doc) {
		if _, err := d.VEX(ctx, st, "https://ci.example/vex.yml", adv, time.Now()); err != nil {
			fmt.Println("not applied:", err)
			return
		}
	}
	for _, e := range sink.Events() {
		fmt.Println(e.Action, e.Outcome, e.Attributes["decision_id"], e.Attributes["image"])
	}
	// Output:
	// inventory.drift.advisory failure decision-1 registry.example/app:v1
	// inventory.drift.compliant_again success decision-1 registry.example/app:v1
}
