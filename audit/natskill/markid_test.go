package natskill_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natskill"
)

// TestMarkRefusesUnmatchableIDs: a mark whose id no check could ever match
// (whitespace around it, an uppercase SPIFFE trust domain, an invisible
// character) is refused with ErrConfig before anything is written, rather
// than recorded and audited as in force while the identity goes on being
// allowed; and a detector event whose expiry is the zero time, which a
// mark reads as "never lapses", is refused instead of marking for good.
// Both are refused before the bucket is touched, so no NATS is needed.
func TestMarkRefusesUnmatchableIDs(t *testing.T) {
	t.Parallel()
	s := &natskill.Switch{}
	for _, id := range []string{
		"spiffe://example.org/ci/job ",
		" spiffe://example.org/ci/job",
		"spiffe://Example.org/ci/job",
		"SPIFFE://example.org/ci/job",
		"spiffe://example.org/ci/job\u200b",
		"spiffe://example.org/ci/\njob",
		"job\xff",
	} {
		if err := s.Mark(t.Context(), natskill.KindJob, id, "r", "oncall", time.Time{}); !errors.Is(err, natskill.ErrConfig) {
			t.Errorf("Mark(%q) = %v, want ErrConfig", id, err)
		}
	}
	e := audit.Event{ID: "e1", Time: time.Now(), Source: "falco", Action: audit.ActionCompromiseDetected, Outcome: audit.OutcomeSuccess,
		Actor:      audit.Actor{ID: "falco/runtime"},
		Attributes: map[string]string{audit.AttrCompromisedID: "spiffe://example.org/ci/job", audit.AttrExpires: "0001-01-01T00:00:00Z"}}
	var fe *audit.FieldError
	if err := s.Write(t.Context(), e); !errors.As(err, &fe) {
		t.Errorf("Write with a zero expiry = %v, want a *audit.FieldError", err)
	}
}
