package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
)

// TestReview15MarkRefusesSPIFFEIDNoCheckerSees: the kill switch compares
// ids byte for byte, and the SPIFFE IDs that gates and brokers ask about
// are parsed by go-spiffe, so they never end in a slash or hold an empty
// or dot segment, a port, a query, a percent-encoding or a character
// outside ASCII. CheckMarkID refused an uppercase trust domain and
// whitespace, but took all of those: an operator's mark of
// "spiffe://example.org/ci/job/" (a copy with its trailing slash) or of a
// path spelled with a non-ASCII look-alike was audited as in force while
// spiffe://example.org/ci/job went on being allowed everywhere.
func TestReview15MarkRefusesSPIFFEIDNoCheckerSees(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	ks, err := NewKillSwitch(rec, WithClock((&clock{t: testT0}).now))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"spiffe://example.org/ci/job/", "spiffe://example.org//ci/job", "spiffe://example.org/ci/./job",
		"spiffe://example.org/ci/../job", "spiffe://example.org/ci/jöb", "spiffe://exämple.org/ci/job",
		"spiffe://example.org:443/ci/job", "spiffe://user@example.org/ci/job", "spiffe://example.org/ci/job?x=1",
		"spiffe://example.org/ci/job#f", "spiffe://example.org/ci/j%6Fb", "spiffe:///ci/job", "spiffe://",
		"spiffe://example.org/ci job", "spiffe://example.org/ci/job\u2024", "spiffe://example.org/",
	} {
		if _, perr := spiffeid.FromString(id); perr == nil {
			t.Fatalf("test id %q parses as a SPIFFE ID", id)
		}
		if err := ks.Mark(t.Context(), id, "r", "oncall", time.Time{}); err == nil {
			t.Errorf("Mark(%q) accepted: a mark no check can match", id)
		}
	}
	if n := len(ks.Marks()); n != 0 || len(rec.events) != 0 {
		t.Fatalf("%d marks, %d audit events after refusals", n, len(rec.events))
	}
	// Every id go-spiffe parses is markable, including those its
	// backward-compatible build takes.
	for _, id := range []string{
		"spiffe://example.org", "spiffe://example.org/ci/job", "spiffe://example.org/CI/Job.v2_x-y",
		"spiffe://a-b_c.d/x", "spiffe://example.org/a:b@c", "spiffe://example.org/a~b!$&'()*+,;=",
		"spiffe://ex~ample.org/x", "https://token.actions.githubusercontent.com#repo:o/r:ref:refs/heads/main",
	} {
		if err := CheckMarkID(id); err != nil {
			t.Errorf("CheckMarkID(%q) = %v", id, err)
		}
	}
}

// FuzzReview15MarkID: CheckMarkID never refuses a SPIFFE ID that go-spiffe
// parses (a mark a check could match), and never takes one it refuses
// for a reason of syntax.
func FuzzReview15MarkID(f *testing.F) {
	for _, s := range []string{
		"spiffe://example.org/ci/job", "spiffe://example.org/ci/job/", "spiffe://example.org", "spiffe://",
		"spiffe://example.org//x", "spiffe://example.org/./x", "spiffe://Example.org/x", "spiffe://example.org:1/x",
		"spiffe://example.org/a:b", "spiffe://example.org/%41", "spiffe://ex~ample.org/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		markErr := CheckMarkID(id)
		if !strings.HasPrefix(id, "spiffe://") {
			return
		}
		_, perr := spiffeid.FromString(id)
		if perr == nil && markErr != nil {
			t.Fatalf("CheckMarkID(%q) = %v, but go-spiffe parses it", id, markErr)
		}
		// go-spiffe's default build takes a subset of what CheckMarkID
		// takes (the backward-compatible characters); outside them the
		// two agree.
		if perr != nil && markErr == nil && !strings.ContainsAny(id, "~!$&'()*+,;=:@[]") {
			t.Fatalf("CheckMarkID(%q) accepts what go-spiffe refuses: %v", id, perr)
		}
	})
}
