package drift_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
)

// denyHigh is a new policy revision: it denies an artifact whose scan
// counts a high finding (the fleet's inputs do for i%10 == 7).
var denyHigh = drift.EvaluatorFunc(func(_ context.Context, input []byte) (bool, []string, error) {
	var in struct {
		Artifacts []struct {
			Digest string
			Scan   struct{ High int }
		}
	}
	if err := json.Unmarshal(input, &in); err != nil {
		return false, nil, err
	}
	for _, a := range in.Artifacts {
		if a.Scan.High > 0 {
			return false, []string{"deploy.scan_high", "high findings: " + strconv.Itoa(a.Scan.High)}, nil
		}
	}
	return true, nil, nil
})

// A policy revision re-run on every kept input of the previous revision
// reports exactly the artifacts it now denies, on every store.
func TestPolicyRevisionOnEveryStore(t *testing.T) {
	t.Parallel()
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			seedFleet(t, s, fleetSize)
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec)
			if err != nil {
				t.Fatal(err)
			}
			ch := drift.PolicyChange{Revision: "rev-4", Previous: []string{"rev-3", "rev-2"}, Reason: "deny high findings"}
			rep, err := d.PolicyRevision(t.Context(), denyHigh, ch, time.Time{})
			if err != nil || len(rep.Changes) != 100 || rep.Cause != "policy:rev-4" || len(rep.Unevaluated) != 0 {
				t.Fatalf("%d changes, report cause %q unevaluated %d, %v", len(rep.Changes), rep.Cause, len(rep.Unevaluated), err)
			}
			for _, e := range rec.Events() {
				n, _ := strconv.Atoi(e.Attributes["decision_id"][len("decision-"):])
				if e.Action != drift.ActionPolicyRevision || n%10 != 7 || e.PolicyRevision != "rev-4" || e.Attributes["admitted_policy_revision"] != "rev-3" ||
					!slices.Equal(e.Violations, []string{"deploy.scan_high", "high findings: 1"}) || e.Outcome != audit.OutcomeFailure ||
					!strings.HasSuffix(e.Reason, ": deny high findings") || strings.Contains(e.Reason, "{") {
					t.Fatalf("event %+v", e)
				}
			}
			if rep, err := d.PolicyRevision(t.Context(), denyHigh, ch, time.Time{}); err != nil || rep.Already != 100 || len(rep.Changes) != 0 {
				t.Fatalf("replay: %+v, %v", rep, err)
			}
		})
	}
}

// An admission whose input was not kept is listed, never counted as
// allowed; evaluator errors do not hide the denials found, and make the
// detection incomplete; a cancelled context stops it.
func TestPolicyRevisionFailsClosed(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 100)
	noInput := fleetAdmission(100)
	noInput.PolicyInput = nil
	if err := s.Record(t.Context(), noInput); err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	ch := drift.PolicyChange{Revision: "rev-4", Previous: []string{"rev-3"}}
	flaky := drift.EvaluatorFunc(func(ctx context.Context, input []byte) (bool, []string, error) {
		if strings.Contains(string(input), inventorytest.Digest("artifact 3")) || strings.Contains(string(input), inventorytest.Digest("artifact 5")) {
			return false, nil, errors.New("evaluation failed") // an engine error cannot be provoked on demand
		}
		return denyHigh(ctx, input)
	})
	rep, err := d.PolicyRevision(t.Context(), flaky, ch, time.Time{})
	if !errors.Is(err, drift.ErrEvaluation) || !strings.Contains(err.Error(), "2 admissions") || len(rep.Changes) != 10 ||
		!slices.Equal(rep.Unevaluated, []string{noInput.DecisionID}) {
		t.Fatalf("report %+v, err %v", rep, err)
	}
	for name, ch := range map[string]drift.PolicyChange{
		"no revision":        {Previous: []string{"rev-3"}},
		"no previous":        {Revision: "rev-4"},
		"previous is new":    {Revision: "rev-4", Previous: []string{"rev-4"}},
		"previous repeated":  {Revision: "rev-4", Previous: []string{"rev-3", "rev-3"}},
		"control in reason":  {Revision: "rev-4", Previous: []string{"rev-3"}, Reason: "a\nb"},
		"too many revisions": {Revision: "rev-4", Previous: make([]string, drift.MaxRevisions+1)},
	} {
		if _, err := d.PolicyRevision(t.Context(), denyHigh, ch, time.Time{}); !errors.Is(err, drift.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	if _, err := d.PolicyRevision(t.Context(), nil, ch, time.Time{}); !errors.Is(err, drift.ErrInvalidInput) {
		t.Errorf("nil evaluator: err = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	n := len(rec.Events())
	if _, err := d.PolicyRevision(ctx, denyHigh, drift.PolicyChange{Revision: "rev-5", Previous: []string{"rev-3"}}, time.Time{}); !errors.Is(err, drift.ErrStore) {
		t.Errorf("store down: err = %v, want ErrStore", err)
	}
	if len(rec.Events()) != n {
		t.Error("events emitted although the store failed")
	}
}

// What a policy input holds never reaches an event: the event names the
// decision, not its input.
func TestPolicyRevisionEventCarriesNoInput(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	a := fleetAdmission(7)
	a.PolicyInput = []byte(`{"action":"deploy","secrets":{"names":["CANARY-c4n4ry"]},"artifacts":[{"scan":{"high":2}}]}`)
	if err := s.Record(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := d.PolicyRevision(t.Context(), denyHigh, drift.PolicyChange{Revision: "rev-4", Previous: []string{"rev-3"}}, time.Time{}); err != nil || len(rep.Changes) != 1 {
		t.Fatalf("%+v, %v", rep, err)
	}
	b, err := json.Marshal(rec.Events())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "c4n4ry") {
		t.Fatalf("an event carries the policy input: %s", b)
	}
}
