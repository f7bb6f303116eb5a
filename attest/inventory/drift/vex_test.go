package drift_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
)

// hexOf is the hex of fleet admission i's digest.
func hexOf(i int) string {
	return strings.TrimPrefix(inventorytest.Digest("artifact "+strconv.Itoa(i)), "sha256:")
}

// vexDoc parses an OpenVEX v0.2.0 document with the given statements
// (JSON objects) with the real parser.
func vexDoc(t *testing.T, statements ...string) *vex.Document {
	t.Helper()
	doc, err := vex.Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vex.example/doc-1",
		"author":"Example Security","timestamp":"2026-03-02T00:00:00Z","version":1,"statements":[` + strings.Join(statements, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

const vexSigner = "https://ci.example/vex.yml"

// A not_affected or fixed statement makes the artifacts the advisory made
// non-compliant compliant again — those it covers whole or in every
// affected package — once each; an affected statement is an advisory
// scoped to its products; on every store.
func TestVEXOnEveryStore(t *testing.T) {
	t.Parallel()
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			seedFleet(t, s, fleetSize)
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec)
			if err != nil {
				t.Fatal(err)
			}
			adv := parse(t, "GHSA-w32m-9786-jp63.json")
			if rep, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil || len(rep.Changes) != 3 {
				t.Fatalf("advisory: %+v, %v", rep, err)
			}
			doc := vexDoc(t,
				// 17 as a whole, by its image's package URL.
				`{"vulnerability":{"name":"CVE-2024-45338"},"status":"not_affected","justification":"vulnerable_code_not_in_execute_path",
				  "products":[{"@id":"pkg:oci/app17@sha256%3A`+hexOf(17)+`?repository_url=registry.example/app17"}]}`,
				// 512 in its only affected package.
				`{"vulnerability":{"name":"GHSA-w32m-9786-jp63"},"status":"fixed",
				  "products":[{"@id":"pkg:oci/app32@sha256%3A`+hexOf(512)+`","subcomponents":[{"@id":"pkg:golang/golang.org/x/net"}]}]}`,
				// 998 in another package: still affected.
				`{"vulnerability":{"name":"CVE-2024-45338"},"status":"not_affected","justification":"component_not_present",
				  "products":[{"@id":"urn:example:app998","hashes":{"sha-256":"`+hexOf(998)+`"},"subcomponents":[{"@id":"pkg:golang/example.com/other"}]}]}`)
			var again []string
			for _, stmt := range doc.Statements {
				rep, err := d.VEX(t.Context(), stmt, vexSigner, adv, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range rep.Changes {
					again = append(again, c.Admissions[0].DecisionID)
				}
			}
			if fmt.Sprint(again) != "[decision-0017 decision-0512]" {
				t.Fatalf("compliant again: %v, want decisions 17 and 512", again)
			}
			evs := rec.Events()[3:]
			for _, e := range evs {
				if e.Action != drift.ActionCompliantAgain || e.Outcome != audit.OutcomeSuccess || e.Attributes["vex_signer"] != vexSigner ||
					e.Attributes["advisory_id"] != adv.ID || len(e.Violations) != 0 || !strings.HasPrefix(e.Attributes["resolves_event_id"], "drift-") ||
					!strings.HasPrefix(e.Attributes["packages"], "pkg:golang/golang.org/x/net@") {
					t.Fatalf("event %+v", e)
				}
			}
			if evs[0].Attributes["resolves_event_id"] != rec.Events()[0].ID && evs[0].Attributes["resolves_event_id"] != rec.Events()[1].ID &&
				evs[0].Attributes["resolves_event_id"] != rec.Events()[2].ID {
				t.Fatalf("compliant-again event names no drift event: %+v", evs[0])
			}
			// The same statement again, or another one covering 17: once.
			rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
			if err != nil || len(rep.Changes) != 0 || rep.Already != 1 {
				t.Fatalf("replay: %+v, %v", rep, err)
			}
			// A product that is a package URL covers the artifacts whose
			// affected packages it names.
			byPkg := vexDoc(t, `{"vulnerability":{"name":"CVE-2024-45338"},"status":"fixed","products":[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"}]}`)
			d2, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			rep, err = d2.VEX(t.Context(), byPkg.Statements[0], vexSigner, adv, time.Time{})
			if err != nil || len(rep.Changes) != 1 || rep.Changes[0].Admissions[0].DecisionID != "decision-0017" {
				t.Fatalf("package product: %+v, %v", rep, err)
			}

			// affected: 4 by digest (its x/netx subcomponent), 512 by the
			// package it lists; an image without digest cannot be searched.
			aff := vexDoc(t, `{"vulnerability":{"name":"CVE-2026-0001","aliases":["GHSA-xxxx-yyyy-zzzz"]},"status":"affected","action_statement":"upgrade",
			  "products":[{"@id":"urn:example:app4","hashes":{"sha-256":"`+hexOf(4)+`"},"subcomponents":[{"@id":"pkg:golang/golang.org/x/netx@v0.1.0"}]},
			    {"@id":"pkg:oci/app?repository_url=registry.example/app"},{"@id":"pkg:golang/golang.org/x/net@v0.32.0"}]}`)
			n := len(rec.Events())
			rep, err = d.VEX(t.Context(), aff.Statements[0], vexSigner, nil, time.Time{})
			if err != nil || len(rep.Changes) != 2 || len(rep.Skipped) != 1 || !errors.Is(rep.Skipped[0].Err, drift.ErrUnresolvableProduct) || rep.Skipped[0].Affected != 1 {
				t.Fatalf("affected: %+v, %v", rep, err)
			}
			got := map[string]string{}
			for _, e := range rec.Events()[n:] {
				if e.Action != drift.ActionVEXAffected || e.Outcome != audit.OutcomeFailure || e.Violations[0] != "CVE-2026-0001" ||
					e.Attributes["vulnerability_aliases"] != "GHSA-xxxx-yyyy-zzzz" || e.Attributes["vex_status"] != "affected" {
					t.Fatalf("event %+v", e)
				}
				got[e.Attributes["decision_id"]] = e.Attributes["packages"]
			}
			if got["decision-0004"] != "pkg:golang/golang.org/x/netx@v0.1.0" || got["decision-0512"] != "pkg:golang/golang.org/x/net@v0.32.0" {
				t.Fatalf("affected events by decision: %v", got)
			}
		})
	}
}

// A statement fed before its advisory resolves what it covers: the
// advisory then reports only the artifact the statement does not cover.
func TestVEXBeforeAdvisory(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, fleetSize)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	doc := vexDoc(t, `{"vulnerability":{"name":"CVE-2024-45338"},"status":"fixed","products":[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"},{"@id":"pkg:golang/golang.org/x/net@v0.32.0"}]}`)
	if rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{}); err != nil || len(rep.Changes) != 2 {
		t.Fatalf("VEX: %+v, %v", rep, err)
	}
	rep, err := d.Advisory(t.Context(), adv, time.Time{})
	if err != nil || len(rep.Changes) != 1 || rep.Already != 2 || rep.Changes[0].Admissions[0].DecisionID != "decision-0998" {
		t.Fatalf("advisory after VEX: %+v, %v", rep, err)
	}
}

// Statements that cannot be applied are refused, never half-applied.
func TestVEXRefusesWhatItCannotApply(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 100)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	other, err := drift.ParseOSV([]byte(`{"id":"EX-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1.0.0"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := vexDoc(t,
		`{"vulnerability":{"name":"CVE-2024-45338"},"status":"fixed","products":[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"}]}`,
		`{"vulnerability":{"name":"CVE-2024-45338"},"status":"not_affected","impact_statement":"we think so","products":[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"}]}`,
		`{"vulnerability":{"name":"CVE-2024-45338"},"status":"under_investigation","products":[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"}]}`)
	fixed, impactOnly, investigating := doc.Statements[0], doc.Statements[1], doc.Statements[2]
	for name, call := range map[string]func() error{
		"no signer":             func() error { _, err := d.VEX(t.Context(), fixed, "", adv, time.Time{}); return err },
		"control in signer":     func() error { _, err := d.VEX(t.Context(), fixed, "a\nb", adv, time.Time{}); return err },
		"no advisory":           func() error { _, err := d.VEX(t.Context(), fixed, vexSigner, nil, time.Time{}); return err },
		"another advisory":      func() error { _, err := d.VEX(t.Context(), fixed, vexSigner, other, time.Time{}); return err },
		"impact statement only": func() error { _, err := d.VEX(t.Context(), impactOnly, vexSigner, adv, time.Time{}); return err },
	} {
		if err := call(); !errors.Is(err, drift.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	if rep, err := d.VEX(t.Context(), investigating, vexSigner, adv, time.Time{}); err != nil || len(rep.Changes) != 0 {
		t.Errorf("under investigation: %+v, %v", rep, err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("%d events", n)
	}
}

// A not_affected or fixed statement lifts a finding only for the packages
// it names as their registry compares names: exactly for Go and npm (an
// advisory for github.com/foo/bar finds github.com/Foo/bar, another module
// the index keys alike, but a statement about foo/bar does not lift it),
// without case for NuGet and by PEP 503 for PyPI. A package an admission
// listed in two spellings at one version has no known spelling: lifted
// only where the registry holds both to be one package. On every store.
func TestVEXLiftsOnlyThePackagesItNames(t *testing.T) {
	t.Parallel()
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			for _, a := range []inventory.Admission{
				inventorytest.Admission("d-go", "go", "pkg:golang/github.com/Foo/bar@v1.0.0"),
				inventorytest.Admission("d-go-both", "go-both", "pkg:golang/github.com/Foo/bar@v1.1.0", "pkg:golang/github.com/foo/bar@v1.1.0"),
				inventorytest.Admission("d-npm", "npm", "pkg:npm/Left-Pad@1.3.0"),
				inventorytest.Admission("d-pypi", "pypi", "pkg:pypi/zope.interface@5.4"),
				inventorytest.Admission("d-pypi-both", "pypi-both", "pkg:pypi/Zope_Interface@5.3", "pkg:pypi/zope.interface@5.3"),
				inventorytest.Admission("d-nuget", "nuget", "pkg:nuget/Newtonsoft.Json@12.0.1"),
				inventorytest.Admission("d-nuget-both", "nuget-both", "pkg:nuget/Newtonsoft.Json@13.0.1", "pkg:nuget/newtonsoft.json@13.0.1"),
			} {
				if err := s.Record(t.Context(), a); err != nil {
					t.Fatal(err)
				}
			}
			subcomponent := func(artifact, purl string) string {
				return `{"@id":"urn:example:app","hashes":{"sha-256":"` + inventorytest.Digest(artifact)[len("sha256:"):] +
					`"},"subcomponents":[{"@id":"` + purl + `"}]}`
			}
			cases := []struct {
				ecosystem, name string
				found           string // what the advisory finds
				products        string // of the statement
				lifted          string
			}{
				{"Go", "github.com/foo/bar", "[d-go d-go-both]", `{"@id":"pkg:golang/github.com/foo/bar"}`, "[]"},
				{"Go", "github.com/foo/bar", "[d-go d-go-both]", subcomponent("go", "pkg:golang/github.com/foo/bar"), "[]"},
				{"Go", "github.com/foo/bar", "[d-go d-go-both]", `{"@id":"pkg:golang/github.com/Foo/bar"}`, "[d-go]"},
				{"Go", "github.com/foo/bar", "[d-go d-go-both]", subcomponent("go", "pkg:golang/github.com/Foo/bar@v1.0.0"), "[d-go]"},
				{"Go", "github.com/foo/bar", "[d-go d-go-both]", `{"@id":"pkg:golang/github.com/Foo/bar"},{"@id":"pkg:golang/github.com/foo/bar"}`, "[d-go]"},
				{"npm", "left-pad", "[d-npm]", `{"@id":"pkg:npm/left-pad"}`, "[]"},
				{"npm", "left-pad", "[d-npm]", `{"@id":"pkg:npm/Left-Pad@1.3.0"}`, "[d-npm]"},
				{"PyPI", "zope-interface", "[d-pypi d-pypi-both]", `{"@id":"pkg:pypi/zope-interface"}`, "[d-pypi d-pypi-both]"},
				{"NuGet", "Newtonsoft.Json", "[d-nuget d-nuget-both]", `{"@id":"pkg:nuget/newtonsoft.json"}`, "[d-nuget d-nuget-both]"},
			}
			for _, c := range cases {
				versions := `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]`
				if c.ecosystem == "NuGet" { // listed versions, matched exactly
					versions = `"versions":["12.0.1","13.0.1"]`
				}
				adv, err := drift.ParseOSV(record(`{"package":{"ecosystem":"` + c.ecosystem + `","name":"` + c.name + `"},` + versions + `}`))
				if err != nil {
					t.Fatal(err)
				}
				d, err := drift.New(s, audittest.NewRecorder())
				if err != nil {
					t.Fatal(err)
				}
				rep, err := d.Advisory(t.Context(), adv, time.Time{})
				if got := decisions(rep); err != nil || got != c.found {
					t.Fatalf("advisory for %s %s: %s, %v; want %s", c.ecosystem, c.name, got, err, c.found)
				}
				doc := vexDoc(t, `{"vulnerability":{"name":"TEST-1"},"status":"not_affected","justification":"vulnerable_code_not_present",
				  "products":[`+c.products+`]}`)
				rep, err = d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
				if got := decisions(rep); err != nil || got != c.lifted {
					t.Errorf("not_affected for %s: lifted %s, %v; want %s", c.products, got, err, c.lifted)
				}
			}
		})
	}
}

// A Debian advisory names the source package openssl; the index finds the
// images whose SBOMs list only binary packages built from it (libssl3,
// upstream=openssl). A statement lifts such a finding only by naming the
// binary package, never by the source's name, which is also the binary
// package openssl's: a statement about that binary (d-cli) does not cover
// libssl3. Where the admission holds the source through several packages
// (d-both: the binary openssl and libssl3; d-alpine: libcrypto3 and
// libssl3), only a statement about the artifact as a whole lifts it. The
// name of a source RPM does not lift its binary openssl-libs either. On
// every store.
func TestVEXLiftsSourcePackagesOnlyByTheirBinaries(t *testing.T) {
	t.Parallel()
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			for _, a := range []inventory.Admission{
				inventorytest.Admission("d-cli", "cli", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64"),
				inventorytest.Admission("d-lib", "lib", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl"),
				inventorytest.Admission("d-both", "both", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64",
					"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl"),
			} {
				if err := s.Record(t.Context(), a); err != nil {
					t.Fatal(err)
				}
			}
			artifact := func(name string) string {
				return `{"@id":"urn:example:app","hashes":{"sha-256":"` + inventorytest.Digest(name)[len("sha256:"):] + `"}}`
			}
			cases := []struct{ products, lifted string }{
				{`{"@id":"pkg:deb/debian/openssl"}`, "[d-cli]"},
				{`{"@id":"pkg:deb/debian/openssl@3.0.11-1~deb12u2"}`, "[d-cli]"},
				{`{"@id":"pkg:deb/debian/libssl3"}`, "[d-lib]"},
				{`{"@id":"pkg:deb/debian/libssl3@3.0.11-1~deb12u2"}`, "[d-lib]"},
				{`{"@id":"pkg:deb/debian/libssl3@3.0.10-1"}`, "[]"},
				{`{"@id":"pkg:deb/debian/libssl3?arch=amd64"}`, "[]"},
				{`{"@id":"pkg:deb/debian/openssl"},{"@id":"pkg:deb/debian/libssl3"}`, "[d-cli d-lib]"},
				{artifact("both"), "[d-both]"},
			}
			for _, c := range cases {
				adv, err := drift.ParseOSV(record(`{"package":{"ecosystem":"Debian:12","name":"openssl"},` +
					`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}`))
				if err != nil {
					t.Fatal(err)
				}
				d, err := drift.New(s, audittest.NewRecorder())
				if err != nil {
					t.Fatal(err)
				}
				rep, err := d.Advisory(t.Context(), adv, time.Time{})
				if got := decisions(rep); err != nil || got != "[d-both d-cli d-lib]" {
					t.Fatalf("advisory: %s, %v; want [d-both d-cli d-lib]", got, err)
				}
				doc := vexDoc(t, `{"vulnerability":{"name":"TEST-1"},"status":"not_affected","justification":"vulnerable_code_not_present",
				  "products":[`+c.products+`]}`)
				rep, err = d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
				if got := decisions(rep); err != nil || got != c.lifted {
					t.Errorf("not_affected for %s: lifted %s, %v; want %s", c.products, got, err, c.lifted)
				}
			}
			// Alpine: two binaries of one origin, each named: the index
			// merged them into one source package whose binaries it no
			// longer tells apart, so the finding stays.
			if err := s.Record(t.Context(), inventorytest.Admission("d-alpine", "alpine",
				"pkg:apk/alpine/libcrypto3@3.1.4-r5?upstream=openssl", "pkg:apk/alpine/libssl3@3.1.4-r5?upstream=openssl")); err != nil {
				t.Fatal(err)
			}
			adv, err := drift.ParseOSV(record(`{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},"versions":["3.1.4-r5"]}`))
			if err != nil {
				t.Fatal(err)
			}
			d, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil || decisions(rep) != "[d-alpine]" {
				t.Fatalf("Alpine advisory: %s, %v", decisions(rep), err)
			}
			doc := vexDoc(t, `{"vulnerability":{"name":"TEST-1"},"status":"fixed","products":[{"@id":"pkg:apk/alpine/libcrypto3"},{"@id":"pkg:apk/alpine/libssl3"}]}`)
			if rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{}); err != nil || decisions(rep) != "[]" {
				t.Errorf("fixed for both binaries: lifted %s, %v; want [] (From unknown)", decisions(rep), err)
			}
			// RHEL: rpm keys keep case, so a package of unknown spelling
			// is named by its key; a source package is not a package of
			// unknown spelling: the source RPM's name does not lift it.
			if err := s.Record(t.Context(), inventorytest.Admission("d-rhel", "rhel",
				"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm")); err != nil {
				t.Fatal(err)
			}
			adv, err = drift.ParseOSV(record(`{"package":{"ecosystem":"Red Hat","name":"openssl","purl":"pkg:rpm/redhat/openssl"},` +
				`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9"}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ products, lifted string }{
				{`{"@id":"pkg:rpm/redhat/openssl"}`, "[]"},
				{`{"@id":"pkg:rpm/redhat/openssl@1:3.0.7-24.el9"}`, "[]"},
				{`{"@id":"pkg:rpm/redhat/openssl-libs"}`, "[d-rhel]"},
			} {
				d, err := drift.New(s, audittest.NewRecorder())
				if err != nil {
					t.Fatal(err)
				}
				if rep, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil || decisions(rep) != "[d-rhel]" {
					t.Fatalf("RHEL advisory: %s, %v", decisions(rep), err)
				}
				doc := vexDoc(t, `{"vulnerability":{"name":"TEST-1"},"status":"not_affected","justification":"vulnerable_code_not_present",
				  "products":[`+c.products+`]}`)
				if rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{}); err != nil || decisions(rep) != c.lifted {
					t.Errorf("not_affected for %s: lifted %s, %v; want %s", c.products, decisions(rep), err, c.lifted)
				}
			}
		})
	}
}

// A build of before source packages, sharing a store with this one (a
// rolling upgrade of PostgreSQL replicas), reads a source package's entry
// as a package spelled "pkg:" + Entry.Spelled + "@" + version. That names
// no package URL, so no VEX statement lifts a finding by it there either.
func TestOlderBuildsNameNoPackageBySourceEntries(t *testing.T) {
	t.Parallel()
	_, es, err := inventory.Normalize(inventorytest.Admission("d", "a", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?upstream=openssl",
		"pkg:apk/alpine/libcrypto3@3.1.4-r5?upstream=openssl", "pkg:apk/alpine/libssl3@3.1.4-r5?upstream=openssl",
		"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm", "pkg:alpm/arch/gcc-libs?upstream=gcc"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		p := e.Package()
		if !p.Source {
			continue
		}
		n++
		old := "pkg:" + e.Spelled
		if _, escaped, ok := strings.Cut(p.PURL, "@"); ok {
			old += "@" + escaped
		}
		if _, err := inventory.ParsePURL(old); err == nil {
			t.Errorf("%s read by an older build parses as a package URL", old)
		}
		u, _ := inventory.ParsePURL(p.PURL)
		for _, pattern := range []string{"pkg:" + u.Key(), p.PURL, p.From, "pkg:deb/debian/libssl3", "pkg:apk/alpine/libssl3", "pkg:rpm/redhat/openssl-libs"} {
			if pattern != "" && vex.MatchPURL(pattern, old) {
				t.Errorf("%s read by an older build is named by %s", old, pattern)
			}
		}
	}
	if n != 4 {
		t.Fatalf("%d source packages in %+v, want 4", n, es)
	}
}

// decisions lists the decision ids of a report's changes, sorted.
func decisions(rep drift.Report) string {
	ids := []string{}
	for _, c := range rep.Changes {
		ids = append(ids, c.Admissions[0].DecisionID)
	}
	slices.Sort(ids)
	return fmt.Sprint(ids)
}
