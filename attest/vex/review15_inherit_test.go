package vex_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// inheritingStatement is an in-toto Statement of subjects subjects whose
// OpenVEX predicate holds statements statements without products: each
// inherits every subject, so the document has subjects*statements
// products from 86*subjects + 48*statements bytes.
func inheritingStatement(subjects, statements int) []byte {
	var b strings.Builder
	b.WriteString(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"` + vex.PredicateType + `","subject":[`)
	for i := range subjects {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"digest":{"sha256":"%064x"}}`, i)
	}
	b.WriteString(`],"predicate":{"@context":"` + vex.PredicateType + `","@id":"https://example.com/vex-1","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[`)
	for i := range statements {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"vulnerability":{"name":"CVE-2024-%d"},"status":"fixed"}`, i)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

// TestReview15InheritedProductsBounded: a statement without products
// inherits the Statement's subjects, so the products of a document grew
// as subjects × statements, which its bytes do not bound. 1,000 subjects
// and 1,000 such statements (137 KB) made a million products (71 MB
// allocated, 95 ms to parse and 113 ms per Document.For); 3,000 of each
// (411 KB) made 637 MB; the 8 MiB a registry may serve for one bundle
// would make terabytes. The count after inheritance is bounded by
// MaxProducts, refused as too large before the products are copied.
func TestReview15InheritedProductsBounded(t *testing.T) {
	t.Parallel()
	in := inheritingStatement(1000, 1000)
	d, err := vex.Parse(in)
	var se *vex.StatementError
	if !errors.Is(err, vex.ErrTooLarge) || !errors.As(err, &se) {
		t.Fatalf("1000 subjects × 1000 statements: err = %v (document of %d statements), want ErrTooLarge in a *StatementError", err, docLen(d))
	}
	if want := vex.MaxProducts / 1000; se.Index != want {
		t.Errorf("refused at statements[%d], want %d: the bound is checked before a statement is copied", se.Index, want)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(vex.MaxProducts)) {
		t.Errorf("error %q does not name the bound", err)
	}
	st, err := attest.ParseStatement(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vex.FromStatement(st); !errors.Is(err, vex.ErrTooLarge) {
		t.Errorf("FromStatement: err = %v, want ErrTooLarge", err)
	}
}

// TestReview15InheritedProductsAtBound: exactly MaxProducts products after
// inheritance read; one statement more does not. A multi-arch image's VEX
// (an index and ten manifests as subjects) with thousands of statements is
// far inside the bound.
func TestReview15InheritedProductsAtBound(t *testing.T) {
	t.Parallel()
	const subjects = 512
	n := vex.MaxProducts / subjects
	d, err := vex.Parse(inheritingStatement(subjects, n))
	if err != nil {
		t.Fatalf("%d products: %v", subjects*n, err)
	}
	if got := len(d.For(vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: fmt.Sprintf("%064x", 7)}})); got != n {
		t.Errorf("For: %d statements, want %d", got, n)
	}
	if _, err := vex.Parse(inheritingStatement(subjects, n+1)); !errors.Is(err, vex.ErrTooLarge) {
		t.Errorf("%d products: err = %v, want ErrTooLarge", subjects*(n+1), err)
	}
	if _, err := vex.Parse(inheritingStatement(11, 5000)); err != nil {
		t.Errorf("11 subjects × 5000 statements: %v", err)
	}
}

func docLen(d *vex.Document) int {
	if d == nil {
		return 0
	}
	return len(d.Statements)
}
