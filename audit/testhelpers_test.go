package audit

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

const testOrigin = "example.com/ztci/audit/test"

var testT0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func testKey(seed byte) ed25519.PrivateKey {
	var s [32]byte
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s[:])
}

func testEvent(i int) Event {
	return Event{
		ID:      fmt.Sprintf("evt-%08d", i),
		Time:    testT0.Add(time.Duration(i) * time.Millisecond),
		Source:  "ztci/secrets",
		Action:  "secrets.lease.issue",
		Outcome: OutcomeAllow,
		Actor: Actor{ID: "spiffe://example.org/ci/runner", Kind: "workload",
			Claims: map[string]string{"repository": "acme/app", "ref": "refs/heads/main"}},
		Resource:       "secret:db-password",
		Reason:         "policy allowed",
		PolicyRevision: "rev-42",
		Correlation:    Correlation{JobID: "job-1", RunID: "run-7", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"},
	}
}
