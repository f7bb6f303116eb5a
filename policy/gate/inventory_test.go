package gate_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
)

// failingStore refuses every admission, as a store that is down does.
type failingStore struct{ *inventory.Memory }

func (failingStore) Record(context.Context, inventory.Admission) error {
	return inventory.ErrUnavailable
}

// An allowed decision is recorded under its audit event id with the job,
// builder and policy revision; a denied one is not; a store that cannot
// record turns the allow into an audited deny.
func TestInventoryRecordsAllowedDecisions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	main, feature := gatetest.Job{Ref: "refs/heads/main", Protected: true}, gatetest.Job{Ref: "refs/heads/feature/x"}
	released, err := lab.Publish(ctx, main, "v1")
	if err != nil {
		t.Fatal(err)
	}
	unreleased, err := lab.Publish(ctx, feature, "feature")
	if err != nil {
		t.Fatal(err)
	}
	decide := func(g *gate.Gate, j gatetest.Job, img *gatetest.Published) (gate.Decision, error) {
		tok, err := lab.Token(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		return g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image})
	}

	store := inventory.NewMemory()
	g, err := lab.Gate(ctx, &memSink{}, gate.WithInventory(store))
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := decide(g, main, released)
	if err != nil || !allowed.Allowed {
		t.Fatalf("release: %+v, %v", allowed, err)
	}
	denied, err := decide(g, feature, unreleased)
	if err != nil || denied.Allowed {
		t.Fatalf("feature branch: %+v, %v; want a policy deny", denied, err)
	}
	res, err := store.Query(ctx, inventory.Query{Builder: gatetest.BuilderID})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Admissions) != 1 {
		t.Fatalf("indexed %+v, want only the allowed decision", res.Admissions)
	}
	a := res.Admissions[0]
	if a.DecisionID != allowed.AuditID || a.Digest != allowed.Digest || a.Job != allowed.Job || a.Image != released.Image ||
		a.PolicyRevision != allowed.PolicyRevision || !slices.Equal(a.Builders, []string{gatetest.BuilderID}) || a.Time.IsZero() {
		t.Fatalf("admission %+v does not match decision %+v", a, allowed)
	}
	// The signers of the attestations it relied on, for a signer
	// revocation to find it.
	if want := []inventory.Signer{{Issuer: lab.IssuerURL(), SAN: gatetest.SignerSAN}}; !slices.Equal(a.Signers, want) {
		t.Fatalf("signers %+v, want %+v", a.Signers, want)
	}
	// The policy input it was evaluated on, for a policy revision to
	// re-run: it decodes strictly and the same policy allows it again.
	res, err = store.Query(ctx, inventory.Query{Digest: a.Digest, WithPolicyInput: true})
	if err != nil || len(res.Admissions) != 1 {
		t.Fatalf("with policy input: %+v, %v", res, err)
	}
	in, err := policy.DecodeInput(bytes.NewReader(res.Admissions[0].PolicyInput))
	if err != nil {
		t.Fatal(err)
	}
	if in.Action != policy.ActionDeploy || in.Job.ID != allowed.Job || len(in.Artifacts) != 1 || in.Artifacts[0].Digest != allowed.Digest {
		t.Fatalf("kept policy input %+v does not match decision %+v", in, allowed)
	}
	eng, err := lab.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	if pd, err := eng.Evaluate(ctx, in); err != nil || !pd.Allowed || pd.Revision != allowed.PolicyRevision {
		t.Fatalf("re-evaluating the kept input: %+v, %v", pd, err)
	}
	// A new revision that trusts another builder, re-run by drift on the
	// kept input through the real policy engine: the admission drifts.
	cfg := lab.PolicyConfig()
	cfg.Deploy.Builders = []string{"https://ci.example/other-builder"}
	next, err := policy.New(ctx, policy.BuiltinWith(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = next.Close() })
	eval := drift.EvaluatorFunc(func(ctx context.Context, input []byte) (bool, []string, error) {
		in, err := policy.DecodeInput(bytes.NewReader(input))
		if err != nil {
			return false, nil, err
		}
		pd, err := next.Evaluate(ctx, in)
		if err != nil {
			return false, nil, err
		}
		var rules []string
		for _, v := range pd.Violations {
			rules = append(rules, v.Rule)
		}
		return pd.Allowed, rules, nil
	})
	rec := audittest.NewRecorder()
	det, err := drift.New(store, rec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := det.PolicyRevision(ctx, eval, drift.PolicyChange{Revision: "next", Previous: []string{allowed.PolicyRevision}}, time.Time{})
	if err != nil || len(rep.Changes) != 1 || rep.Changes[0].Admissions[0].DecisionID != allowed.AuditID ||
		!slices.ContainsFunc(rec.Events()[0].Violations, func(v string) bool { return strings.Contains(v, "builder") }) {
		t.Fatalf("policy revision drift: %+v, %v, events %+v", rep, err, rec.Events())
	}

	sink := &memSink{}
	g, err = lab.Gate(ctx, sink, gate.WithInventory(failingStore{inventory.NewMemory()}))
	if err != nil {
		t.Fatal(err)
	}
	d, err := decide(g, main, released)
	if !errors.Is(err, gate.ErrNotIndexed) || !errors.Is(err, gate.ErrUndecided) || d.Allowed || d.Outcome != gate.OutcomeError {
		t.Fatalf("with a failing store: %+v, %v; want a deny wrapping ErrNotIndexed", d, err)
	}
	evs := sink.all()
	if len(evs) != 1 || evs[0].Outcome != audit.OutcomeError || evs[0].ID != d.AuditID {
		t.Fatalf("audit events %+v: want one error event and no allow", evs)
	}
	// A store that fails never turns a deny into an allow: a denied
	// decision does not reach it.
	d, err = decide(g, feature, unreleased)
	if err != nil || d.Allowed || d.Outcome != gate.OutcomeDeny {
		t.Fatalf("deny with a failing store: %+v, %v", d, err)
	}
}

// Admission indexes the packages of verified SBOMs, SPDX and CycloneDX,
// and nothing else; a verified SBOM that does not read is an error, not a
// partial index.
func TestAdmission(t *testing.T) {
	t.Parallel()
	subject := attest.ResourceDescriptor{Name: "registry.example/acme/app", Digest: attest.DigestSet{"sha256": strings.Repeat("d", 64)}}
	result := func(p attest.Predicate) *verify.Result {
		st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, p)
		if err != nil {
			t.Fatal(err)
		}
		return &verify.Result{Statement: st}
	}
	spdx := result(attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"net","versionInfo":"v0.30.0","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:golang/golang.org/x/net@v0.30.0"}]}]}`)))
	cdx := result(attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"lodash","purl":"pkg:npm/lodash@4.17.21"}]}`)))
	// Signed by another tool: attest.CycloneDX refuses to write it.
	malformed := &verify.Result{Statement: &attest.Statement{Type: attest.StatementTypeV1, Subject: []attest.ResourceDescriptor{subject},
		PredicateType: attest.PredicateCycloneDX, Predicate: []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x","purl":"npm/x@1"}]}`)}}
	art := policy.Artifact{Name: subject.Name, Digest: "sha256:" + strings.Repeat("d", 64),
		Attestations: []policy.Attestation{{PredicateType: attest.PredicateSLSAProvenanceV1, Provenance: &policy.Provenance{BuilderID: "https://ci.example/builder"}},
			// A second provenance (another builder, or a rebuild): its
			// builder is indexed too, once.
			{PredicateType: attest.PredicateSLSAProvenanceV1, Provenance: &policy.Provenance{BuilderID: "https://other.example/builder@v2"}},
			{PredicateType: attest.PredicateSLSAProvenanceV1, Provenance: &policy.Provenance{BuilderID: "https://ci.example/builder"}}}}

	spdx.Signer = verify.SignerInfo{Kind: verify.SignerKey, KeyHint: "sbom-key"}
	cdx.Signer = verify.SignerInfo{Kind: verify.SignerCertificate, SAN: "https://ci.example/release", Issuer: "https://issuer.example"}
	a, err := gate.Admission(art, []*verify.Result{spdx, nil, {}, cdx, spdx})
	if err != nil {
		t.Fatal(err)
	}
	if want := []inventory.Signer{{KeyID: "sbom-key"}, {Issuer: "https://issuer.example", SAN: "https://ci.example/release"}}; !slices.Equal(a.Signers, want) {
		t.Fatalf("signers %+v, want %+v (a result without signer adds none, duplicates merged)", a.Signers, want)
	}
	var purls []string
	for _, p := range a.Packages {
		purls = append(purls, p.PURL)
	}
	if !slices.Equal(a.Builders, []string{"https://ci.example/builder", "https://other.example/builder@v2"}) || a.Digest != art.Digest || a.Image != art.Name ||
		!slices.Equal(purls, []string{"pkg:golang/golang.org/x/net@v0.30.0", "pkg:npm/lodash@4.17.21", "pkg:golang/golang.org/x/net@v0.30.0"}) {
		t.Fatalf("admission %+v", a)
	}
	if _, err := gate.Admission(art, []*verify.Result{spdx, malformed}); !errors.Is(err, inventory.ErrInvalidSBOM) || !errors.Is(err, inventory.ErrInvalidPURL) {
		t.Fatalf("err = %v, want ErrInvalidSBOM with ErrInvalidPURL", err)
	}
	if _, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenanceVerifier(t)}, &allowVerified{}, &memSink{},
		gate.WithInventory(nil)); !errors.Is(err, gate.ErrConfig) {
		t.Fatalf("WithInventory(nil): err = %v, want ErrConfig", err)
	}
}

// The packages of a verified SBOM that name their source package (syft's
// upstream qualifier, Trivy's source properties) are recorded under the
// source package too: a Debian advisory's pkg:deb/debian/openssl finds an
// image that lists only libssl3. A source hint that names no package does
// not make the admission fail (the gate would deny): the package itself
// is indexed.
func TestInventoryIndexesSourcePackages(t *testing.T) {
	t.Parallel()
	subject := attest.ResourceDescriptor{Name: "registry.example/acme/app", Digest: attest.DigestSet{"sha256": strings.Repeat("e", 64)}}
	result := func(p attest.Predicate) *verify.Result {
		st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, p)
		if err != nil {
			t.Fatal(err)
		}
		return &verify.Result{Statement: st}
	}
	syft := result(attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[
		{"name":"libssl3","versionInfo":"3.0.11-1~deb12u2","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl",
		 "referenceLocator":"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12"}]},
		{"name":"libgpg-error0","versionInfo":"1.46-1","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl",
		 "referenceLocator":"pkg:deb/debian/libgpg-error0@1.46-1?arch=amd64&upstream=%40&distro=debian-12"}]}]}`)))
	trivy := result(attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"libc6","version":"2.36-9+deb12u4",
		"purl":"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.4","properties":[
		{"name":"aquasecurity:trivy:SrcName","value":"glibc"},{"name":"aquasecurity:trivy:SrcVersion","value":"2.36"},
		{"name":"aquasecurity:trivy:SrcRelease","value":"9+deb12u4"}]}]}`)))
	art := policy.Artifact{Name: subject.Name, Digest: "sha256:" + strings.Repeat("e", 64)}
	a, err := gate.Admission(art, []*verify.Result{syft, trivy})
	if err != nil {
		t.Fatal(err)
	}
	a.DecisionID, a.Time = "d-1", time.Now()
	store := inventory.NewMemory()
	if err := store.Record(t.Context(), a); err != nil {
		t.Fatalf("record: %v (the gate would deny)", err)
	}
	for _, q := range []inventory.Query{
		{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}},
		{Package: "pkg:deb/debian/glibc", Ranges: []inventory.Range{{Fixed: "2.36-9+deb12u7"}}},
		{Package: "pkg:deb/debian/libssl3", Versions: []string{"3.0.11-1~deb12u2"}},
		{Package: "pkg:deb/debian/libgpg-error0", Versions: []string{"1.46-1"}},
	} {
		res, err := store.Query(t.Context(), q)
		if err != nil || len(res.Admissions) != 1 || len(res.Admissions[0].Packages) != 1 {
			t.Fatalf("query %+v = %+v, %v; want the admission", q, res, err)
		}
		wantSource := strings.HasSuffix(q.Package, "/openssl") || strings.HasSuffix(q.Package, "/glibc")
		if p := res.Admissions[0].Packages[0]; p.Source != wantSource {
			t.Fatalf("query %+v: package %+v", q, p)
		}
	}
}
