package policy_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
)

// TestReview22ExpiredReloadAudited: a reload failing with ErrExpired (and
// any failure after it, until a reload succeeds) was audited and logged as
// "reload failed, last good policy kept", while Evaluate refused to decide
// with that policy: the audit trail said the gate still decided when it
// refused every job. Now the event and the log line say the policy in force
// expired and decisions are refused, with policy_expired=true; an ordinary
// failure before the expiry still reads as kept.
func TestReview22ExpiredReloadAudited(t *testing.T) {
	t.Parallel()
	src := &failingSource{}
	rec := &recorder{}
	var logs bytes.Buffer
	e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"), policy.WithAudit(rec),
		policy.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	last := func() audit.Event {
		t.Helper()
		evs := rec.all()
		if len(evs) == 0 || evs[len(evs)-1].Action != policy.ActionReload {
			t.Fatalf("no reload event: %+v", evs)
		}
		return evs[len(evs)-1]
	}
	kept := func(step string) {
		t.Helper()
		ev := last()
		if ev.Outcome != audit.OutcomeFailure || !strings.Contains(ev.Reason, "last good policy kept") || ev.Attributes["policy_expired"] != "" {
			t.Fatalf("%s: %q %q %v, want a failure keeping the policy", step, ev.Outcome, ev.Reason, ev.Attributes)
		}
	}
	expired := func(step string) {
		t.Helper()
		ev := last()
		if ev.Outcome != audit.OutcomeFailure || strings.Contains(ev.Reason, "kept") ||
			!strings.Contains(ev.Reason, "expired, decisions are refused") || ev.Attributes["policy_expired"] != "true" {
			t.Fatalf("%s: %q %q %v, want the expiry and refused decisions", step, ev.Outcome, ev.Reason, ev.Attributes)
		}
		if _, err := e.Evaluate(t.Context(), policy.Input{}); !errors.Is(err, policy.ErrNoDecision) {
			t.Fatalf("%s: Evaluate: %v, want ErrNoDecision", step, err)
		}
	}

	src.set(errors.Join(policy.ErrLoad, errors.New("registry down")))
	_ = e.Reload(t.Context())
	kept("ordinary failure")

	src.set(errors.Join(policy.ErrExpired, errors.New("signed 3 days ago")))
	_ = e.Reload(t.Context())
	expired("expired")
	if line := logs.String(); !strings.Contains(line, "the policy in force expired, refusing to decide") {
		t.Fatalf("log: %s", line)
	}

	src.set(errors.Join(policy.ErrLoad, errors.New("registry down")))
	_ = e.Reload(t.Context())
	expired("ordinary failure after the expiry")

	src.set(nil)
	if err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ev := last(); ev.Outcome != audit.OutcomeSuccess || ev.Attributes["policy_expired"] != "" {
		t.Fatalf("reloaded: %+v", ev)
	}
}
