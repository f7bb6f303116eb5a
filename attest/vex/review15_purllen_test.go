package vex_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// namedSubjectStatement is an in-toto Statement of one subject, named name,
// whose OpenVEX predicate holds n statements: without products (each
// inherits the subject, named name) or, when explicit, each about the
// subject's digest by hash.
func namedSubjectStatement(name string, n int, explicit bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"_type":"https://in-toto.io/Statement/v1","predicateType":%q,"subject":[{"name":%q,"digest":{"sha256":"%064x"}}],`+
		`"predicate":{"@context":%q,"@id":"https://example.com/vex-1","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[`,
		vex.PredicateType, name, 1, vex.PredicateType)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"vulnerability":{"name":"CVE-2024-%d"},"status":"fixed"`, i)
		if explicit {
			fmt.Fprintf(&b, `,"products":[{"@id":"app","hashes":{"sha-256":"%064x"}}]`, 1)
		}
		b.WriteString(`}`)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

// TestReview15InheritedPURLLength: a statement without products inherits
// the subject's name as its product's "@id", and Document.For parses an
// "@id" that is a package URL (twice, to match the artifact's) for every
// statement: the work grew as statements × name length. 10,000 statements
// inheriting a 100 KB name (580 KB) took 1.7 s per For call; a bundle's
// 8 MiB allows minutes. A name longer than MaxPURLLen that is a package URL
// is refused as too large when a statement would inherit it.
func TestReview15InheritedPURLLength(t *testing.T) {
	t.Parallel()
	long := "pkg:oci/app?repository_url=" + strings.Repeat("a", vex.MaxPURLLen)
	_, err := vex.Parse(namedSubjectStatement(long, 10, false))
	var se *vex.StatementError
	if !errors.Is(err, vex.ErrTooLarge) || !errors.As(err, &se) || se.Index != 0 {
		t.Fatalf("inherited package URL of %d bytes: err = %v, want ErrTooLarge at statements[0]", len(long), err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(vex.MaxPURLLen)) {
		t.Errorf("error %q does not name the bound", err)
	}
	// Not inherited (every statement names its products), or not a
	// package URL: the name is not parsed per statement and stays allowed.
	if _, err := vex.Parse(namedSubjectStatement(long, 10, true)); err != nil {
		t.Errorf("statements with products: %v", err)
	}
	if _, err := vex.Parse(namedSubjectStatement(strings.Repeat("r", 2*vex.MaxPURLLen), 10, false)); err != nil {
		t.Errorf("a long name that is no package URL: %v", err)
	}
	atBound := "pkg:oci/app?repository_url=" + strings.Repeat("a", vex.MaxPURLLen-len("pkg:oci/app?repository_url="))
	d, err := vex.Parse(namedSubjectStatement(atBound, 10, false))
	if err != nil {
		t.Fatalf("inherited package URL of %d bytes: %v", len(atBound), err)
	}
	if got := len(d.For(vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: fmt.Sprintf("%064x", 1)}})); got != 10 {
		t.Errorf("For: %d statements, want 10", got)
	}
}
