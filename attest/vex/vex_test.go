package vex_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const alpine = "124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"

func TestParseRealDocuments(t *testing.T) {
	t.Parallel()
	d, err := vex.Parse(readFixture(t, "go-vex-v0.2.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Author != "The OpenVEX Project <openvex@openssf.org>" || d.Version != 1 || len(d.Statements) != 5 {
		t.Fatalf("document %+v", d)
	}
	// The statements inherit the document's time.
	want := time.Date(2023, 7, 18, 0, 28, 47, 696004345, time.UTC)
	s := d.Statements[3]
	if !s.Timestamp.Equal(want) || s.Status != vex.StatusNotAffected || s.Justification != vex.VulnerableCodeNotPresent ||
		s.Vulnerability.Name != "CVE-2023-3446" || len(s.Products) != 1 || len(s.Products[0].Subcomponents) != 2 {
		t.Fatalf("statement 3 = %+v", s)
	}
	m, err := vex.Parse(readFixture(t, "spec-minimal.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Statements[0].Status != vex.StatusFixed || len(m.Statements[0].Products) != 2 {
		t.Fatalf("spec example = %+v", m.Statements[0])
	}
}

// minimal is a valid document with one statement; tests patch it.
func minimal(stmt string) string {
	return `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vex.example/1","author":"Acme Security","timestamp":"2026-12-01T00:00:00Z","version":1,"statements":[` + stmt + `]}`
}

const product = `"products":[{"@id":"pkg:oci/app@sha256%3A` + alpine + `"}]`

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"fixture: v0.0.1 document", string(readFixture(t, "go-vex-csaf-openvex-v0.0.1.json")), vex.ErrMalformed},
		{"fixture: no document timestamp", string(readFixture(t, "go-vex-v020-1-no-document-timestamp.json")), vex.ErrMissingField},
		{"fixture: spec example missing commas", string(readFixture(t, "spec-spring-boot-example-not-json.json")), vex.ErrMalformed},
		{"not an object", `[]`, vex.ErrMalformed},
		{"trailing data", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`) + `{}`, vex.ErrMalformed},
		{"duplicate member", strings.Replace(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), `"version":1`, `"version":1,"version":2`, 1), vex.ErrMalformed},
		{"member in another case", minimal(`{"vulnerability":{"name":"CVE-1"},"Status":"fixed"}`), vex.ErrMalformed},
		{"unknown member", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","severity":"low"}`), vex.ErrUnknownField},
		{"null", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","justification":null}`), vex.ErrMalformed},
		{"wrong type", minimal(`{"vulnerability":{"name":"CVE-1"},"status":1}`), vex.ErrMalformed},
		{"other context", strings.Replace(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), "ns/v0.2.0", "ns", 1), vex.ErrContext},
		{"no id", strings.Replace(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), `"@id":"https://vex.example/1",`, "", 1), vex.ErrMissingField},
		{"no author", strings.Replace(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), `"author":"Acme Security",`, "", 1), vex.ErrMissingField},
		{"version 0", strings.Replace(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), `"version":1`, `"version":0`, 1), vex.ErrInvalidValue},
		{"no statements", minimal(``), vex.ErrMissingField},
		{"unknown status", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"resolved"}`), vex.ErrInvalidValue},
		{"status in another case", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"NOT_AFFECTED","justification":"component_not_present"}`), vex.ErrInvalidValue},
		{"no status", minimal(`{"vulnerability":{"name":"CVE-1"}}`), vex.ErrMissingField},
		{"no vulnerability name", minimal(`{"vulnerability":{"aliases":["CVE-1"]},"status":"fixed"}`), vex.ErrMissingField},
		{"not_affected without justification or impact", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"not_affected"}`), vex.ErrInvalidValue},
		{"unknown justification", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"not_affected","justification":"trust_me"}`), vex.ErrInvalidValue},
		{"affected without action", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"affected"}`), vex.ErrInvalidValue},
		{"product without id or identifiers", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"hashes":{"sha-256":"` + alpine + `"}}]}`), vex.ErrMissingField},
		{"bad purl id", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"pkg:"}]}`), vex.ErrInvalidValue},
		{"unknown identifier type", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"identifiers":{"swid":"x"}}]}`), vex.ErrUnknownField},
		{"unknown hash name", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"x","hashes":{"sha256":"` + alpine + `"}}]}`), vex.ErrUnknownField},
		{"short hash", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"x","hashes":{"sha-256":"abc"}}]}`), vex.ErrInvalidValue},
		{"nested subcomponents", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"x","subcomponents":[{"@id":"y","subcomponents":[]}]}]}`), vex.ErrUnknownField},
		{"time not rfc3339", strings.Replace(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), "2026-12-01T00:00:00Z", "2026-12-01", 1), vex.ErrMalformed},
		{"too large", minimal(`{"vulnerability":{"name":"CVE-1","description":"` + strings.Repeat("a", vex.MaxSize) + `"},"status":"fixed"}`), vex.ErrTooLarge},
		{"statement of another predicate type", stmt("https://openvex.dev/ns", minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`)), vex.ErrContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := vex.Parse([]byte(tt.in))
			if !errors.Is(err, tt.want) || !errors.Is(err, vex.ErrInvalid) || !errors.Is(err, attest.ErrInvalidPredicate) {
				t.Fatalf("err = %v, want %v (and ErrInvalid)", err, tt.want)
			}
		})
	}
}

func TestStatementErrorLocates(t *testing.T) {
	t.Parallel()
	_, err := vex.Parse([]byte(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"},{"vulnerability":{"name":"CVE-2"},"status":"unknown"}`)))
	var se *vex.StatementError
	if !errors.As(err, &se) || se.Index != 1 || !errors.Is(err, vex.ErrInvalidValue) {
		t.Fatalf("err = %v, want a StatementError at index 1 wrapping ErrInvalidValue", err)
	}
}

func stmt(predicateType, predicate string) string {
	return `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.example/acme/app","digest":{"sha256":"` + alpine + `"}}],"predicateType":"` + predicateType + `","predicate":` + predicate + `}`
}

// In an in-toto Statement a statement without products is about the
// subjects; in a bare document it is about nothing.
func TestProductsInheritedOnlyFromAttestation(t *testing.T) {
	t.Parallel()
	doc := minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`)
	art := vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: alpine}}
	bare, err := vex.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := bare.For(art); len(got) != 0 {
		t.Fatalf("a bare statement without products applied to %v", got)
	}
	att, err := vex.Parse([]byte(stmt(vex.PredicateType, doc)))
	if err != nil {
		t.Fatal(err)
	}
	got := att.For(art)
	if len(got) != 1 || got[0].Subcomponents != nil || got[0].Statement.Products[0].ID != "registry.example/acme/app" {
		t.Fatalf("For = %+v, want the statement about the subject as a whole", got)
	}
	if got := att.For(vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: strings.Repeat("0", 64)}}); len(got) != 0 {
		t.Fatalf("an inherited product named another artifact: %+v", got)
	}
}

func TestFor(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("e", 64)
	d, err := vex.Parse([]byte(minimal(strings.Join([]string{
		`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"x","hashes":{"sha-256":"` + strings.ToUpper(alpine) + `"}}]}`,
		`{"vulnerability":{"name":"CVE-2"},"status":"fixed","products":[{"@id":"pkg:oci/anything@sha256%3A` + alpine + `"}]}`,
		`{"vulnerability":{"name":"CVE-3"},"status":"fixed","products":[{"identifiers":{"purl":"pkg:oci/app?repository_url=registry.example/acme/app"}}]}`,
		`{"vulnerability":{"name":"CVE-4"},"status":"fixed","products":[{"@id":"pkg:oci/app@sha256%3A` + other + `"}]}`,
		`{"vulnerability":{"name":"CVE-5"},"status":"fixed","products":[{"@id":"x","hashes":{"sha-256":"` + alpine + `"},"subcomponents":[{"@id":"pkg:apk/alpine/musl"}]},{"@id":"pkg:oci/app@sha256%3A` + alpine + `","subcomponents":[{"@id":"pkg:apk/alpine/busybox"}]}]}`,
		`{"vulnerability":{"name":"CVE-6"},"status":"fixed","products":[{"@id":"x","hashes":{"sha-256":"` + alpine + `"},"subcomponents":[{"@id":"pkg:apk/alpine/musl"}]},{"@id":"pkg:oci/app@sha256%3A` + alpine + `"}]}`,
		`{"vulnerability":{"name":"CVE-7"},"status":"fixed","products":[{"@id":"pkg:oci/app?repository_url=registry.example/other/app"}]}`,
	}, ","))))
	if err != nil {
		t.Fatal(err)
	}
	got := d.For(vex.Artifact{
		Digest: attest.Digest{Algorithm: "sha256", Value: alpine},
		PURL:   "pkg:oci/app@sha256%3A" + alpine + "?repository_url=registry.example/acme/app",
	})
	type row struct {
		name string
		subs []string
	}
	var rows []row
	for _, a := range got {
		r := row{name: a.Statement.Vulnerability.Name}
		for _, s := range a.Subcomponents {
			r.subs = append(r.subs, s.ID)
		}
		rows = append(rows, r)
	}
	want := []row{
		{name: "CVE-1"}, // by hash, hex case ignored
		{name: "CVE-2"}, // an OCI purl's version is the digest
		{name: "CVE-3"}, // by purl pattern without version
		// CVE-4 names another digest.
		{name: "CVE-5", subs: []string{"pkg:apk/alpine/musl", "pkg:apk/alpine/busybox"}},
		{name: "CVE-6"}, // one matching product without subcomponents: the whole artifact
		// CVE-7 names another repository.
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("For = %+v\nwant %+v", rows, want)
	}
}

func TestMatchPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, purl string
		want          bool
	}{
		{"pkg:apk/alpine/musl", "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4", true},
		{"pkg:apk/alpine/musl@1.1.20-r4", "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64", true},
		{"pkg:apk/alpine/musl@1.1.20-r5", "pkg:apk/alpine/musl@1.1.20-r4", false},
		{"pkg:apk/alpine/musl@1.1.20-r4", "pkg:apk/alpine/musl", false},
		{"pkg:apk/alpine/musl?arch=x86_64", "pkg:apk/alpine/musl@1?arch=x86_64&distro=3.9", true},
		{"pkg:apk/alpine/musl?arch=armv7", "pkg:apk/alpine/musl@1?arch=x86_64", false},
		{"pkg:apk/alpine/musl?arch=x86_64", "pkg:apk/alpine/musl@1", false},
		{"pkg:apk/alpine/musl", "pkg:apk/alpine/musl-utils@1", false},
		{"pkg:apk/wolfi/musl", "pkg:apk/alpine/musl@1", false},
		{"pkg:deb/alpine/musl", "pkg:apk/alpine/musl@1", false},
		{"PKG:apk/alpine/musl", "pkg:apk/alpine/musl@1", false},
		{"pkg:APK/alpine/musl", "pkg:apk/alpine/musl@1", true}, // the type is case-insensitive
		{"pkg:npm/%40angular/core@1.0.0", "pkg:npm/%40angular/core@1.0.0", true},
		{"pkg:golang/golang.org/x/net@v0.1.0", "pkg:golang/golang.org/x/net@v0.1.0#http2", true},
		{"pkg:golang/golang.org/x/net#http2", "pkg:golang/golang.org/x/net@v0.1.0", false},
		{"not a purl", "not a purl", false},
		// PyPI and NuGet hold every spelling of a name to be one package;
		// npm and Go do not, and a statement covers no package it does not
		// name.
		{"pkg:pypi/zope.interface", "pkg:pypi/zope-interface@5.5", true},
		{"pkg:pypi/Zope_Interface@5.5", "pkg:pypi/zope--interface@5.5", true},
		{"pkg:pypi/zopeinterface", "pkg:pypi/zope-interface@5.5", false},
		{"pkg:nuget/Newtonsoft.Json", "pkg:nuget/newtonsoft.json@13.0.1", true},
		{"pkg:nuget/Newtonsoft_Json", "pkg:nuget/newtonsoft.json@13.0.1", false},
		{"pkg:npm/JSONStream", "pkg:npm/jsonstream@1.3.5", false},
		{"pkg:golang/github.com/Sirupsen/logrus", "pkg:golang/github.com/sirupsen/logrus@v1.9.0", false},
		{"pkg:maven/org.Apache/log4j", "pkg:maven/org.apache/log4j@1", false},
		{"pkg:generic/c/a%2Fb", "pkg:generic/c/a/b@1", false},
		{"pkg:generic/a%2Fb/c", "pkg:generic/a/b/c@1", false},
		{"pkg:generic/a%2Fb/c", "pkg:generic/a%2Fb/c@1", false}, // not a package URL
	}
	for _, tt := range tests {
		if got := vex.MatchPURL(tt.pattern, tt.purl); got != tt.want {
			t.Errorf("MatchPURL(%q, %q) = %v, want %v", tt.pattern, tt.purl, got, tt.want)
		}
	}
}

// A document Parse accepts is written (for signing) and read back to the
// same model, with inherited times and products written out.
func TestPredicateRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"go-vex-v0.2.0.json", "spec-minimal.json"} {
		d, err := vex.Parse(readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		sub := attest.ResourceDescriptor{Name: "registry.example/acme/app", Digest: attest.DigestSet{"sha256": alpine}}
		st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, vex.Predicate(*d))
		if err != nil {
			t.Fatal(err)
		}
		if st.PredicateType != vex.PredicateType {
			t.Fatalf("predicate type %q", st.PredicateType)
		}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		back, err := vex.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, d) {
			t.Fatalf("%s: round trip changed the document\n got %+v\nwant %+v", name, back, d)
		}
	}
}

func TestPredicateRefusesInvalid(t *testing.T) {
	t.Parallel()
	base := vex.Document{ID: "https://vex.example/1", Author: "a", Timestamp: time.Now(), Version: 1,
		Statements: []vex.Statement{{Vulnerability: vex.Vulnerability{Name: "CVE-1"}, Timestamp: time.Now(), Status: vex.StatusFixed}}}
	if _, err := vex.Predicate(base).PredicateJSON(); err != nil {
		t.Fatalf("valid document: %v", err)
	}
	for name, mutate := range map[string]func(*vex.Document){
		"unknown status":                 func(d *vex.Document) { d.Statements[0].Status = "resolved" },
		"not_affected, no justification": func(d *vex.Document) { d.Statements[0].Status = vex.StatusNotAffected },
		"no statement time":              func(d *vex.Document) { d.Statements[0].Timestamp = time.Time{} },
		"no author":                      func(d *vex.Document) { d.Author = "" },
	} {
		d := base
		d.Statements = append([]vex.Statement(nil), base.Statements...)
		mutate(&d)
		if _, err := vex.Predicate(d).PredicateJSON(); !errors.Is(err, vex.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}
