package natskill_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview22EscalatedWorkloadDeniedAsSPIFFE: an audit.Escalator's mark
// names no kind, so Write stores it as a KindJob mark, also when the
// quarantined actor is a workload's SPIFFE ID. A KindSPIFFE check of that
// workload (Check(KindSPIFFE, id), or For(KindSPIFFE) in an mTLS peer
// check) consulted KindSPIFFE marks only, and let the quarantined workload
// through. Job identities and SPIFFE IDs are both actor ids: a check of
// either now consults the marks of both, whichever kind the marker chose.
// Other kinds stay apart.
func TestReview22EscalatedWorkloadDeniedAsSPIFFE(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, audittest.NewRecorder())
	})
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()

	const workload = "spiffe://example.org/ci/runner-7"
	x, err := audit.NewEscalator(s)
	if err != nil {
		t.Fatal(err)
	}
	anomaly := audit.Event{
		ID: "evt-1/burst", Time: time.Now().UTC(), Source: audit.SourceDetector, Action: audit.ActionAnomalyPrefix + audit.RuleBurst,
		Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: workload, Kind: "workload"}, Resource: "secret:x",
		Attributes: map[string]string{audit.AttrRule: audit.RuleBurst, audit.AttrTriggerEvent: "evt-1"},
	}
	if err := x.Write(ctx, anomaly); err != nil {
		t.Fatal(err)
	}
	if !s.Compromised(workload) {
		t.Fatal("the escalated workload is not compromised")
	}
	if err := s.Check(natskill.KindSPIFFE, workload); !errors.Is(err, natskill.ErrCompromised) {
		t.Errorf("Check(spiffe) of the escalated workload = %v, want ErrCompromised", err)
	}
	if !s.For(natskill.KindSPIFFE).Compromised(workload) {
		t.Error("For(spiffe) lets the escalated workload through")
	}

	// An operator's SPIFFE mark is seen by a job check as well.
	const other = "spiffe://example.org/ci/runner-8"
	if err := s.Mark(ctx, natskill.KindSPIFFE, other, "node lost", "oncall", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !s.For(natskill.KindJob).Compromised(other) || s.Check(natskill.KindJob, other) == nil {
		t.Error("a job check lets a SPIFFE-marked workload through")
	}
	// Other kinds never match an actor mark.
	for _, k := range []natskill.Kind{natskill.KindSigner, natskill.KindKey, natskill.KindBuilder} {
		if err := s.Check(k, workload); err != nil {
			t.Errorf("Check(%s) of an actor's mark = %v", k, err)
		}
	}
}
