package audit

import (
	"fmt"
	"testing"
	"time"
)

// TestReview22EscalatorServiceActor: a verifier records a verdict, as a
// "service" actor, for every artifact any job asks it about. Jobs (or one
// attacker running many) that ask in a burst made the detector raise a
// burst anomaly on the verifier's own identity, and the escalator
// quarantined it fleet-wide: every gate consulting the switch then denied
// the verifier, i.e. blocked every deploy, for an hour, renewable at will.
// A job's own burst is still escalated.
func TestReview22EscalatorServiceActor(t *testing.T) {
	t.Parallel()
	const verifier = "spiffe://example.org/ztci/verifier"
	const attacker = "https://token.actions.githubusercontent.com#repo:evil/repo:ref:refs/heads/b"
	ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0.Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	x := newTestEscalator(t, ks)
	d, err := NewDetector(x, WithBurst(10, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		for _, a := range []Actor{{ID: verifier, Kind: "service"}, {ID: attacker, Kind: "job"}} {
			e := Event{
				ID: fmt.Sprintf("%s-%d", a.Kind, i), Time: testT0.Add(time.Duration(i) * time.Second), Source: "ztci/verify",
				Action: "verify.artifact", Outcome: OutcomeSuccess, Actor: a, Resource: fmt.Sprintf("oci://r/a@%d", i),
			}
			if err := d.Write(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ks.Compromised(verifier) {
		t.Fatalf("the verifier was quarantined for the volume its callers drove: %+v", ks.Marks())
	}
	if !ks.Compromised(attacker) {
		t.Fatalf("the job's own burst was not escalated: %+v", ks.Marks())
	}
}
