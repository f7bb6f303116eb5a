package audit_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ztci/ztci/audit"
)

// A detector's anomalies quarantine an identity in the kill switch: a burst
// (high) marks the runner for an hour, a first-seen anomaly (medium) is
// only recorded. In production the switch is a natskill.Switch, so the mark
// denies on every replica.
func ExampleNewEscalator() {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC) // stands for the wall clock
	clock := func() time.Time { return now }

	auditLog, err := audit.NewJSONLines(io.Discard) // in production: the node's audit.Log
	if err != nil {
		panic(err)
	}
	ks, err := audit.NewKillSwitch(auditLog, audit.WithClock(clock))
	if err != nil {
		panic(err)
	}
	escalator, err := audit.NewEscalator(ks, audit.WithClock(clock)) // threshold high, quarantine 1h
	if err != nil {
		panic(err)
	}
	alerts := audit.SinkFunc(func(_ context.Context, a audit.Event) error {
		fmt.Println("anomaly:", a.Attributes[audit.AttrRule])
		return nil
	})
	d, err := audit.NewDetector(audit.FanOut(alerts, escalator), audit.WithLearning(3), audit.WithBurst(5, time.Minute),
		audit.WithClock(clock)) // events' times are taken within a minute of it
	if err != nil {
		panic(err)
	}
	// Write fails when an alert or a quarantine could not be recorded: the
	// audited action must not proceed, and someone must be told.
	write := func(e audit.Event) {
		if err := d.Write(ctx, e); err != nil {
			panic(err)
		}
	}

	event := func(id, actor, resource string, at time.Time) audit.Event {
		return audit.Event{ID: id, Time: at, Source: "ztci/secrets", Action: "secrets.lease.issue",
			Outcome: audit.OutcomeAllow, Actor: audit.Actor{ID: actor}, Resource: resource}
	}
	const runner, deployer = "spiffe://example.org/ci/runner", "spiffe://example.org/ci/deployer"
	start := now.Add(-50 * time.Second) // a Monday morning
	for i := range 3 {
		write(event(fmt.Sprint("d", i), deployer, "secret:deploy", start.Add(time.Duration(i)*10*time.Second)))
	}
	write(event("d9", deployer, "secret:prod-signing-key", now.Add(-10*time.Second))) // first_seen
	for i := range 6 {
		write(event(fmt.Sprint("r", i), runner, "secret:build", now.Add(time.Duration(i-6)*time.Second))) // burst
	}

	fmt.Println("runner compromised:", ks.Compromised(runner))
	fmt.Println("deployer compromised:", ks.Compromised(deployer))
	for _, m := range ks.Marks() {
		fmt.Printf("%s by %s until %s: %s\n", m.ID, m.By, m.Until.Format(time.TimeOnly), m.Reason)
	}
	// Output:
	// anomaly: first_seen
	// anomaly: burst
	// runner compromised: true
	// deployer compromised: false
	// spiffe://example.org/ci/runner by ztci/audit/escalator until 11:00:29: automatic quarantine: "burst" anomaly (severity high) raised by event "r5"
}
