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
