package natskill_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// Nothing bounds an identity's id but the size of an audit event: an OIDC
// identity is "<issuer>#<subject>", and a subject template can carry a
// branch name twice. The switch refused to mark an id over 4 KiB, so an
// Escalator's quarantine of such an identity was an error (a natsanomaly
// feeder stops on it, and the fleet's anomaly detection with it) and the
// identity went on being allowed on every replica. A detector's reason or
// name over 4 KiB was refused the same way. Such an id is now marked under
// a stand-in naming its SHA-256, and checks of the id find it.
func TestReview10LongIDIsQuarantinedFleetWide(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	rec := audittest.NewRecorder()
	newSwitch := func() *natskill.Switch {
		s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
			return natskill.New(ctx, connect(t, c.URLs()), rec)
		})
		t.Cleanup(func() { s.Close() })
		return s
	}
	s, other := newSwitch(), newSwitch()
	ctx := t.Context()

	long := "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/" + strings.Repeat("b", 2500) +
		":job_workflow_ref:acme/app/.github/workflows/ci.yml@refs/heads/" + strings.Repeat("b", 2500)
	esc, err := audit.NewEscalator(s)
	if err != nil {
		t.Fatal(err)
	}
	anomaly := audit.Event{
		ID: "ev-1/burst", Time: time.Now().UTC(), Source: audit.SourceDetector, Action: audit.ActionAnomalyPrefix + audit.RuleBurst,
		Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: long, Kind: "job"},
		Attributes: map[string]string{audit.AttrRule: audit.RuleBurst, audit.AttrTriggerEvent: "ev-1"},
	}
	if err := esc.Write(ctx, anomaly); err != nil {
		t.Fatalf("escalating a burst of an identity with a %d-byte id: %v", len(long), err)
	}
	for i, sw := range []*natskill.Switch{s, other} {
		waitFor(t, 10*time.Second, func() bool { return sw.Compromised(long) })
		if sw.Compromised(long[:len(long)-1]) || sw.Compromised(long[:4096]) {
			t.Fatalf("replica %d: a mark of the long id denies another id", i)
		}
	}
	marks := s.Marks()
	if len(marks) != 1 || len(marks[0].ID) > 4096 || audit.CheckMarkID(marks[0].ID) == nil {
		t.Fatalf("stored mark %q: want a stand-in no operator mark can name", marks[0].ID)
	}

	// A detector's long reason and name are cut, the mark made.
	e := audit.Event{
		ID: "alert-1", Time: time.Now().UTC(), Source: "falco", Action: audit.ActionCompromiseDetected,
		Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: "falco/" + strings.Repeat("n", 5000)},
		Reason:     strings.Repeat("r", 5000),
		Attributes: map[string]string{audit.AttrCompromisedID: "spiffe://example.org/ci/job", natskill.AttrCompromisedKind: "spiffe"},
	}
	if err := s.Write(ctx, e); err != nil {
		t.Fatalf("detector event with a long reason: %v", err)
	}
	if !s.Compromised("spiffe://example.org/ci/job") {
		t.Fatal("not marked")
	}

	if err := s.Clear(ctx, natskill.KindJob, long, "false positive", "oncall"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return other.Check(natskill.KindJob, long) == nil })
}
