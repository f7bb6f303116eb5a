package vex_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// A security team says CVE-2024-3094 does not affect an image, signs that as
// an attestation about the image's digest, and a gate reads it back and asks
// which statements are about the image it is deciding on.
func Example() {
	digest := strings.Repeat("ab", 32)
	doc := vex.Document{
		ID:        "https://vex.acme.example/app/2026-12-05",
		Author:    "Acme Product Security <psirt@acme.example>",
		Timestamp: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
		Version:   1,
		Statements: []vex.Statement{{
			Vulnerability: vex.Vulnerability{Name: "CVE-2024-3094", Aliases: []string{"GHSA-rxwq-x6h5-x525"}},
			Timestamp:     time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
			Products: []vex.Product{{
				Component:     vex.Component{ID: "pkg:oci/app@sha256%3A" + digest},
				Subcomponents: []vex.Component{{ID: "pkg:deb/debian/xz-utils"}},
			}},
			Status:        vex.StatusNotAffected,
			Justification: vex.VulnerableCodeNotInExecutePath,
		}},
	}
	st, err := attest.NewStatement(
		[]attest.ResourceDescriptor{{Name: "registry.example/acme/app", Digest: attest.DigestSet{"sha256": digest}}},
		vex.Predicate(doc))
	if err != nil {
		panic(err)
	}
	// In production st is signed (attest.Sign) and verified before it is read.
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	back, err := vex.Parse(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.PredicateType)
	for _, a := range back.For(vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: digest}}) {
		s := a.Statement
		fmt.Println(s.Vulnerability.IDs(), s.Status, s.Justification, a.Subcomponents[0].ID)
	}
	other := back.For(vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: strings.Repeat("cd", 32)}})
	fmt.Println("about another image:", len(other))
	// Output:
	// https://openvex.dev/ns/v0.2.0
	// [CVE-2024-3094 GHSA-rxwq-x6h5-x525] not_affected vulnerable_code_not_in_execute_path pkg:deb/debian/xz-utils
	// about another image: 0
}

// A package URL without version names every version; qualifiers it gives
// must be present.
func ExampleMatchPURL() {
	found := "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4"
	for _, p := range []string{"pkg:apk/alpine/musl", "pkg:apk/alpine/musl@1.1.20-r5", "pkg:apk/alpine/musl?arch=x86_64"} {
		fmt.Println(p, vex.MatchPURL(p, found))
	}
	// Output:
	// pkg:apk/alpine/musl true
	// pkg:apk/alpine/musl@1.1.20-r5 false
	// pkg:apk/alpine/musl?arch=x86_64 true
}

// A gate lifts a finding on a statement For names exactly (not_affected,
// fixed), but must not miss one that may cancel such a lift (affected,
// under_investigation) only because it names the image another way: by
// tag, as a package inside it, or by an identifier nothing places
// elsewhere. MayFor finds those; a statement about another image's name
// or digest is not about this one.
func ExampleStatement_MayFor() {
	digest := strings.Repeat("ab", 32)
	image := vex.Artifact{
		Digest: attest.Digest{Algorithm: "sha256", Value: digest},
		PURL:   "pkg:oci/app@sha256%3A" + digest + "?repository_url=registry.example/acme/app",
	}
	for _, p := range []struct{ about, id string }{
		{"the image by digest", "pkg:oci/app@sha256%3A" + digest},
		{"the image by tag", "pkg:oci/app?tag=v1.4.2"},
		{"a package in it", "pkg:deb/debian/xz-utils@5.6.0-0.2"},
		{"nothing placed", "urn:acme:app"},
		{"another image", "pkg:oci/billing?tag=v1.4.2"},
		{"another digest", "pkg:oci/app@sha256%3A" + strings.Repeat("cd", 32)},
	} {
		s := vex.Statement{
			Vulnerability: vex.Vulnerability{Name: "CVE-2024-3094"},
			Status:        vex.StatusAffected,
			Products:      []vex.Product{{Component: vex.Component{ID: p.id}}},
		}
		_, exact := s.For(image)
		app, may := s.MayFor(image)
		fmt.Printf("%s: For %v, MayFor %v", p.about, exact, may)
		for _, c := range app.Subcomponents {
			fmt.Print(", about ", c.ID)
		}
		fmt.Println()
	}
	// Output:
	// the image by digest: For true, MayFor true
	// the image by tag: For false, MayFor true
	// a package in it: For false, MayFor true, about pkg:deb/debian/xz-utils@5.6.0-0.2
	// nothing placed: For false, MayFor true
	// another image: For false, MayFor false
	// another digest: For false, MayFor false
}

// MayMatchPURL is how a gate compares an affected statement's package URL
// (the pattern) with a package an SBOM lists: alike once spelling is set
// aside (case, a leading "v", PyPI's separators, qualifiers), never
// another type, name or version. MatchPURL, which lifting needs, is exact.
func ExampleMayMatchPURL() {
	for _, c := range [][2]string{
		{"pkg:golang/golang.org/x/net@v0.1.0", "pkg:golang/golang.org/x/net@v0.1.0"},
		{"pkg:golang/golang.org/x/net@0.1.0", "pkg:golang/golang.org/x/net@v0.1.0"},
		{"pkg:pypi/Zope_Interface@5.0", "pkg:pypi/zope.interface@5.0.0"},
		{"pkg:golang/golang.org/x/net@0.1.1", "pkg:golang/golang.org/x/net@v0.1.0"},
		{"pkg:golang/golang.org/x/net", "pkg:npm/golang.org/x/net"},
	} {
		fmt.Printf("%s ~ %s: may %v, exact %v\n", c[0], c[1], vex.MayMatchPURL(c[0], c[1]), vex.MatchPURL(c[0], c[1]))
	}
	// Output:
	// pkg:golang/golang.org/x/net@v0.1.0 ~ pkg:golang/golang.org/x/net@v0.1.0: may true, exact true
	// pkg:golang/golang.org/x/net@0.1.0 ~ pkg:golang/golang.org/x/net@v0.1.0: may true, exact false
	// pkg:pypi/Zope_Interface@5.0 ~ pkg:pypi/zope.interface@5.0.0: may true, exact false
	// pkg:golang/golang.org/x/net@0.1.1 ~ pkg:golang/golang.org/x/net@v0.1.0: may false, exact false
	// pkg:golang/golang.org/x/net ~ pkg:npm/golang.org/x/net: may false, exact false
}
