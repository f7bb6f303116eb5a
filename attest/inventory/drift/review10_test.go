package drift_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/audit/audittest"
)

// review10Advise records admissions in a fresh store of st, runs adv on it
// and returns the decision ids of the changes.
func review10Advise(t *testing.T, st store, adv *drift.Advisory, adms ...inventory.Admission) drift.Report {
	t.Helper()
	s := st.open(t)
	for _, a := range adms {
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	d, err := drift.New(s, audittest.NewRecorder())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Advisory(t.Context(), adv, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// Ubuntu's OSV records (UBUNTU-CVE-*, USN-*) write the fixed version into
// the affected package's purl, and a distro qualifier with a '/'
// (esm-infra-legacy/trusty). ParseOSV refused such a record whole, so no
// Ubuntu advisory ever found an image; the purl's version is now ignored
// (it is not an affected version) and the range decides.
func TestReview10UbuntuRecordWithVersionedPURL(t *testing.T) {
	t.Parallel()
	adv, err := drift.ParseOSV([]byte(`{"schema_version":"1.7.0","id":"UBUNTU-CVE-2025-6491","modified":"2025-07-18T17:02:45Z",
	  "upstream":["CVE-2025-6491"],"related":["USN-7648-1"],"severity":[{"type":"Ubuntu","score":"medium"}],"affected":[
	  {"package":{"ecosystem":"Ubuntu:Pro:14.04:LTS","name":"php5",
	    "purl":"pkg:deb/ubuntu/php5@5.5.9+dfsg-1ubuntu4.29+esm16?arch=source&distro=esm-infra-legacy/trusty"},
	   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],"versions":["5.5.9+dfsg-1ubuntu4.29"],"ecosystem_specific":{}},
	  {"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"php8.1","purl":"pkg:deb/ubuntu/php8.1@8.1.2-1ubuntu2.22?arch=source&distro=jammy"},
	   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"8.1.2-1ubuntu2.22"}]}],
	   "ecosystem_specific":{"binaries":[{"binary_name":"php8.1-cli","binary_version":"8.1.2-1ubuntu2.22"}]}}]}`))
	if err != nil {
		t.Fatalf("an Ubuntu record: %v", err)
	}
	if adv.Affected[0].PURL != "pkg:deb/ubuntu/php5" || adv.Affected[1].PURL != "pkg:deb/ubuntu/php8.1" {
		t.Fatalf("affected package URLs %q, %q: want them without version", adv.Affected[0].PURL, adv.Affected[1].PURL)
	}
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			rep := review10Advise(t, st, adv,
				// A jammy image with php8.1-cli before the fix, one with the
				// fixed build, and the fixed version itself as listed in
				// the purl: only the first is affected.
				inventorytest.Admission("d-vulnerable", "vulnerable",
					"pkg:deb/ubuntu/php8.1-cli@8.1.2-1ubuntu2.21?arch=amd64&upstream=php8.1&distro=ubuntu-22.04"),
				inventorytest.Admission("d-fixed", "fixed",
					"pkg:deb/ubuntu/php8.1-cli@8.1.2-1ubuntu2.22?arch=amd64&upstream=php8.1&distro=ubuntu-22.04"),
				inventorytest.Admission("d-trusty", "trusty", "pkg:deb/ubuntu/php5@5.5.9+dfsg-1ubuntu4.29?arch=amd64"))
			if got := decisions(rep); got != "[d-trusty d-vulnerable]" || len(rep.Skipped) != 0 {
				t.Fatalf("changes %s, skipped %v; want [d-trusty d-vulnerable]", got, rep.Skipped)
			}
		})
	}
}

// OSV: a version is affected when it is below any limit, and every
// version is below "*". A range with limits "*" and 1.2.0 was clipped at
// 1.2.0, leaving the versions above it out.
func TestReview10LimitStarBoundsNothing(t *testing.T) {
	t.Parallel()
	adv, err := drift.ParseOSV(record(`{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER",
	  "events":[{"introduced":"1.0.0"},{"limit":"1.2.0"},{"limit":"*"},{"limit":"not a version"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	qs, skips := adv.Queries()
	if len(qs) != 1 || !slices.Equal(qs[0].Ranges, []inventory.Range{{Introduced: "1.0.0"}}) || len(skips) != 0 {
		t.Fatalf("queries %+v, skips %v; want one range from 1.0.0 on", qs, skips)
	}
	rep := review10Advise(t, stores()[0], adv, inventorytest.Admission("d-1.5", "m", "pkg:golang/example.com/m@v1.5.0"))
	if got := decisions(rep); got != "[d-1.5]" {
		t.Fatalf("changes %s, want [d-1.5]", got)
	}
}

// The gate revokes a builder id without "@" at every "@<ref>" (a mark on
// the slsa-github-generator workflow revokes it at every tag, as a
// verify.Provenance expectation accepts it at every tag); RevokedBuilder
// asked the index for the id byte for byte and found none of the
// artifacts that builder built at a tag.
func TestReview10RevokedBuilderAtEveryRef(t *testing.T) {
	t.Parallel()
	const gen = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml"
	builders := map[string]string{
		"d-tag1": gen + "@refs/tags/v1.9.0", "d-tag2": gen + "@refs/tags/v2.0.0", "d-bare": gen,
		"d-longer": gen + ".evil@refs/tags/v1.9.0", "d-other": "https://github.com/org/repo/.github/workflows/build.yml@refs/tags/v1",
		"d-none": "",
	}
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			for id, b := range builders {
				a := inventorytest.Admission(id, id, "pkg:npm/left-pad@1.0.0")
				if b != "" {
					a.Builders = []string{b}
				}
				if err := s.Record(t.Context(), a); err != nil {
					t.Fatal(err)
				}
			}
			d, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ builder, want string }{
				{gen, "[d-bare d-tag1 d-tag2]"},
				{gen + "@refs/tags/v1.9.0", "[d-tag1]"}, // a mark with a ref revokes that ref only, as the gate's
				{gen + "@refs/tags", "[]"},
				{"https://github.com/slsa-framework/slsa-github-generator", "[]"},
			} {
				rep, err := d.RevokedBuilder(t.Context(), drift.Revocation{Builder: c.builder}, time.Time{})
				if got := decisions(rep); err != nil || got != c.want {
					t.Errorf("revoked %s: %s, %v; want %s", c.builder, got, err, c.want)
				}
			}
		})
	}
}

// Alpine's records (secdb) give ranges, fixed at an apk version, and no
// version list; with no apk ordering every such range was a skip, so an
// Alpine advisory found no image. It now finds the images whose libssl3
// was built from an openssl before the fix.
func TestReview10AlpineAdvisoryRange(t *testing.T) {
	t.Parallel()
	adv, err := drift.ParseOSV(record(`{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},
	  "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r6"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			rep := review10Advise(t, st, adv,
				inventorytest.Admission("d-r5", "r5", "pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1"),
				inventorytest.Admission("d-rc", "rc", "pkg:apk/alpine/libcrypto3@3.1.4_rc1-r0?upstream=openssl"),
				inventorytest.Admission("d-3.0", "3.0", "pkg:apk/alpine/openssl@3.0.12-r4"),
				inventorytest.Admission("d-r6", "r6", "pkg:apk/alpine/libssl3@3.1.4-r6?upstream=openssl"),
				inventorytest.Admission("d-3.1.5", "3.1.5", "pkg:apk/alpine/libssl3@3.1.5-r0?upstream=openssl"),
				inventorytest.Admission("d-p", "p", "pkg:apk/alpine/libssl3@3.1.4_p1-r0?upstream=openssl"))
			if got := decisions(rep); got != "[d-3.0 d-r5 d-rc]" || len(rep.Skipped) != 0 {
				t.Fatalf("changes %s, skipped %v; want [d-3.0 d-r5 d-rc]", got, rep.Skipped)
			}
		})
	}
}

// cutStore answers every query for package pkg as cut at the limit, with
// admission drop left out: what a store answers when more than
// inventory.MaxLimit admissions hold the package.
type cutStore struct {
	inventory.Store
	pkg, drop string
}

func (s cutStore) Query(ctx context.Context, q inventory.Query) (inventory.Result, error) {
	res, err := s.Store.Query(ctx, q)
	if err == nil && q.Package == s.pkg {
		res.Admissions = slices.DeleteFunc(res.Admissions, func(a inventory.Admission) bool { return a.DecisionID == s.drop })
		res.Truncated = true
	}
	return res, err
}

// A not_affected statement naming package b lifted an artifact that holds
// both affected packages a and b when the answer for a was cut and left
// the artifact out: its affected packages read as b alone. An answer cut
// at the limit now lifts nothing (ErrIncomplete), and the advisory still
// reports the artifact.
func TestReview10VEXDoesNotLiftOnACutAnswer(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	if err := s.Record(t.Context(), inventorytest.Admission("d-ab", "ab", "pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0")); err != nil {
		t.Fatal(err)
	}
	adv, err := drift.ParseOSV([]byte(`{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-01-02T03:04:05Z","affected":[
	  {"package":{"ecosystem":"npm","name":"a"},"versions":["1.0.0"]},{"package":{"ecosystem":"npm","name":"b"},"versions":["1.0.0"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	d, err := drift.New(cutStore{Store: s, pkg: "pkg:npm/a", drop: "d-ab"}, rec)
	if err != nil {
		t.Fatal(err)
	}
	doc := vexDoc(t, `{"vulnerability":{"name":"GHSA-aaaa-bbbb-cccc"},"status":"not_affected","justification":"vulnerable_code_not_present",
	  "products":[{"@id":"pkg:npm/b"}]}`)
	rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
	if !errors.Is(err, drift.ErrIncomplete) || len(rep.Changes) != 0 || len(rec.Events()) != 0 {
		t.Fatalf("VEX on a cut answer: %s, %d events, %v; want ErrIncomplete and nothing lifted", decisions(rep), len(rec.Events()), err)
	}
	// Nothing was marked resolved: the advisory, answered whole, reports it.
	d2, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := d2.Advisory(t.Context(), adv, time.Time{}); err != nil || decisions(rep) != "[d-ab]" {
		t.Fatalf("advisory: %s, %v", decisions(rep), err)
	}
	if rep, err := d.Advisory(t.Context(), adv, time.Time{}); !errors.Is(err, drift.ErrIncomplete) || decisions(rep) != "[d-ab]" {
		t.Fatalf("advisory through the cut store after the refused statement: %s, %v; want d-ab reported", decisions(rep), err)
	}
}
