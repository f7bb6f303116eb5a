package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/module"

	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

var review9Types = []string{"golang", "npm", "pypi", "maven", "nuget", "cargo", "deb", "github", "generic"}

// FuzzReview9PURLSpellings checks today's promise of ParsePURL that every
// spelling of one package is one key, on package URLs built from fuzzed
// namespace, name and version:
//   - the whole path spelt as one name with each byte percent-encoded
//     ('/' as %2F, as purl libraries write "@angular%2Fcore") parses to
//     the same PURL as the raw path whenever the raw path parses;
//   - a golang path in the module proxy's case-encoding
//     (module.EscapePath: "!azure" for "Azure") parses to the same PURL;
//   - what parses, parses again from its String to itself, and holds no
//     empty path segment.
func FuzzReview9PURLSpellings(f *testing.F) {
	for _, s := range []struct {
		typ               uint8
		ns, name, version string
	}{
		{0, "github.com/Azure/azure-sdk-for-go/sdk", "azcore", "v1.11.1"},
		{0, "github.com/BurntSushi", "toml", "v1.3.2"},
		{0, "golang.org/x", "net", "v0.33.0"},
		{1, "@angular", "core", "16.2.0"},
		{1, "", "lodash", "4.17.21"},
		{2, "", "Django_REST", "4.1"},
		{3, "org.apache.logging.log4j", "log4j-core", "2.14.1"},
		{4, "", "Newtonsoft.Json", "13.0.1"},
		{6, "debian", "openssl", "3.0.11-1"},
		{7, "ztci", "ztci", "v1"},
		{0, "github.com/!azure", "x", "v1"},
		{8, "a/b/c", "d", "1"},
	} {
		f.Add(s.typ, s.ns, s.name, s.version)
	}
	f.Fuzz(func(t *testing.T, ti uint8, ns, name, version string) {
		typ := review9Types[int(ti)%len(review9Types)]
		if strings.ContainsAny(ns+name+version, "@?#%") || strings.Contains(name, "/") || version == "" || name == "" {
			return
		}
		path := name
		if ns != "" {
			path = ns + "/" + name
		}
		raw := "pkg:" + typ + "/" + path + "@" + version
		p, err := ParsePURL(raw)
		var pe *PURLError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("ParsePURL(%q): %T %v, not a *PURLError", raw, err, err)
		}
		var enc strings.Builder
		for i := 0; i < len(path); i++ {
			fmt.Fprintf(&enc, "%%%02X", path[i])
		}
		encoded := "pkg:" + typ + "/" + enc.String() + "@" + version
		if err != nil {
			// Raw, the path may hold what only an encoding makes legal (a
			// space): nothing to compare.
			return
		}
		if q, qerr := ParsePURL(encoded); qerr != nil || q != p {
			t.Fatalf("%q parses to %+v\nbut %q to %+v, %v", raw, p, encoded, q, qerr)
		}
		if again, err := ParsePURL(p.String()); err != nil || again != p {
			t.Fatalf("String %q of %q reads back as %+v, %v", p.String(), raw, again, err)
		}
		for seg := range strings.SplitSeq(p.Namespace+"/"+p.Name, "/") {
			if seg == "" && p.Namespace != "" {
				t.Fatalf("%q: empty path segment in %+v", raw, p)
			}
		}
		if typ == "golang" {
			esc, err := module.EscapePath(path)
			if err != nil {
				return
			}
			e, err := ParsePURL("pkg:golang/" + esc + "@" + version)
			if err != nil || e != p || e.Key() != p.Key() {
				t.Fatalf("escaped %q parses to %+v, %v; raw %q to %+v", esc, e, err, path, p)
			}
		}
	})
}

// FuzzReview9SBOMSchema checks the schema reading of SBOMs added today:
// nothing panics, every refusal wraps ErrInvalidSBOM, and an SBOM whose
// packages are returned is valid JSON that encoding/json's tokenizer reads
// as Unicode text with no two members of one object equal under case
// folding and no member the index reads spelt in another case at its
// place (strictjsontest.Read): a document listing other packages to the index than
// to other readers is refused.
func FuzzReview9SBOMSchema(f *testing.F) {
	for _, s := range []string{
		`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"a","versionInfo":"1","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]}]}`,
		`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[],"Packages":[{"externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/log4j@1"}]}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"purl":"pkg:npm/a@1","PURL":"pkg:npm/b@1"}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"purl":"pkg:npm/a@1","components":[{"purl":"pkg:npm/x\ud800@1"}]}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"purl":"pkg:cargo/serde","version":"1.0.0","properties":[{"name":"a","Name":"b"}]}]}`,
	} {
		f.Add(false, []byte(s))
		f.Add(true, []byte(s))
	}
	for _, file := range []string{"spdx-2.3-syft.json", "cyclonedx-1.5-nested.json", "cyclonedx-1.5-trivy.json"} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.HasPrefix(file, "cyclonedx"), b)
	}
	f.Fuzz(func(t *testing.T, cdx bool, doc []byte) {
		parse, shape := SPDXPackages, reflect.TypeFor[spdxDoc]()
		if cdx {
			parse, shape = CycloneDXPackages, reflect.TypeFor[cdxDoc]()
		}
		pkgs, err := parse(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalidSBOM) {
				t.Fatalf("error outside ErrInvalidSBOM: %v", err)
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("packages of a document that is not JSON: %q", doc)
		}
		r := strictjsontest.Read(doc, shape)
		if r.Ambiguous() {
			t.Fatalf("packages %v of an ambiguous document (%+v): %q", pkgs, r, doc)
		}
	})
}
