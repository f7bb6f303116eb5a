package vuln_test

import (
	"testing"

	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// TestReview27TopLevelMemberFlood: the parser decoded the whole document
// into a map of raw members only to see whether "_type" is one of them: a
// signed document of 4 MiB of distinct members cost that map about ten
// times its size before anything refused it. Not parallel: it measures
// allocations.
func TestReview27TopLevelMemberFlood(t *testing.T) {
	for _, head := range []string{`{"_type":"https://in-toto.io/Statement/v1"`, `{"x":1`} {
		doc := strictjsontest.MemberFlood(head, "https://a.example/", 4<<20)
		got := strictjsontest.Allocated(func() { _, _ = vuln.ParseScan(doc) })
		t.Logf("%s: %d bytes allocated for %d (%.1fx)", head, got, len(doc), float64(got)/float64(len(doc)))
		if limit := uint64(4 * len(doc)); got > limit {
			t.Errorf("%s: allocated %d bytes for a %d-byte document, want at most %d", head, got, len(doc), limit)
		}
	}
}
