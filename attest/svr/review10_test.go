package svr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

// TestReview10WritesOnlyWhatItReads: Predicate validated the Result's
// rules, not its encoding, and wrote policy annotations ParsePredicate
// refuses (a nil value written as null; "k" beside "K", which readers
// that fold names read as one): a signed SVR no reader of this package
// accepts. It now fails with ErrInvalid, and what it writes parses.
func TestReview10WritesOnlyWhatItReads(t *testing.T) {
	t.Parallel()
	result := func(ann map[string]any) svr.Result {
		return svr.Result{
			Verifier:    svr.Verifier{ID: "https://gate.example/v1", Policy: &attest.ResourceDescriptor{URI: "https://policy.example/p", Annotations: ann}},
			TimeCreated: time.Unix(1_700_000_000, 0),
			Properties:  []string{svr.PropertyAllowed},
		}
	}
	for name, ann := range map[string]map[string]any{
		"null value":        {svr.AnnotationPolicyRevision: nil},
		"nested null":       {"x": map[string]any{"y": nil}},
		"names fold-equal":  {"k": "a", "K": "b"},
		"long s and s pair": {"source": "a", "ſource": "b"},
	} {
		b, err := svr.Predicate(result(ann)).PredicateJSON()
		if !errors.Is(err, svr.ErrInvalid) || b != nil {
			t.Errorf("%s: wrote %s, %v; want ErrInvalid", name, b, err)
		}
	}
	b, err := svr.Predicate(result(map[string]any{svr.AnnotationPolicyRevision: "r1", "K": "b"})).PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := svr.ParsePredicate(b); err != nil || r.PolicyRevision() != "r1" {
		t.Fatalf("written result reads back as %+v, %v", r, err)
	}
}
