package vuln_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview37AnnotationKeyCase: ParseScan dropped an annotation whose key
// was "Alias" or "package.PURL": a finding's alias the policy needs to
// find a later "affected" statement naming the finding by that id was
// lost (the not_affected statement naming the other id lifted the
// finding), while a reader that folds case kept it. A known key spelt
// otherwise is refused, as a severity method spelt otherwise is.
func TestReview37AnnotationKeyCase(t *testing.T) {
	t.Parallel()
	pred := func(ann string) []byte {
		return []byte(`{"scanner":{"uri":"pkg:github/anchore/grype","result":[{"id":"GHSA-aaaa-bbbb-cccc","severity":[{"method":"ztci","score":"critical"}],"annotations":[` + ann + `]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`)
	}
	for _, tt := range []struct{ name, ann string }{
		{"Alias", `{"Alias":"CVE-2026-1"}`},
		{"ALIAS", `{"ALIAS":"CVE-2026-1"}`},
		{"spaced alias", `{" alias":"CVE-2026-1"}`},
		{"package.PURL", `{"package.PURL":"pkg:npm/x@1"}`},
		{"Package.Name", `{"Package.Name":"x"}`},
		{"FixedVersion", `{"FixedVersion":"1.2"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, err := vuln.ParseScan(pred(tt.ann)); !errors.Is(err, vuln.ErrInvalidScan) {
				t.Fatalf("got %+v, err %v; want ErrInvalidScan", s, err)
			}
		})
	}
	s, err := vuln.ParseScan(pred(`{"alias":"CVE-2026-1"},{"producer.note":"x"}`))
	if err != nil || !slices.Equal(s.Findings[0].Aliases, []string{"CVE-2026-1"}) {
		t.Fatalf("got %+v, err %v", s, err)
	}
}
