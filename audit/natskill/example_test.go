package natskill_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natskill"
)

// Each replica follows the fleet's marks and hands the switch to its brokers
// and gates. This example needs a running NATS cluster, so it has no Output
// and is compiled, not run; the package tests run the same wiring against a
// real 3-node cluster.
func Example() {
	ctx := context.Background()
	// TLS and the replica's own credentials: whoever can write the bucket
	// can mark every job (a denial of service) or, by deleting marks, let a
	// compromised one through. Restrict who may write it to those who mark
	// (operators, escalators).
	nc, err := nats.Connect("tls://nats-1:4222,tls://nats-2:4222,tls://nats-3:4222",
		nats.RootCAs("/etc/ztci/nats-ca.pem"), nats.UserCredentials("/etc/ztci/gate.creds"))
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	auditLog, err := audit.NewJSONLines(os.Stdout) // in production: the node's audit.Log
	if err != nil {
		panic(err)
	}
	ks, err := natskill.New(ctx, js, auditLog, natskill.WithReplicas(3), natskill.WithStaleAfter(time.Second))
	if err != nil {
		panic(err)
	}
	defer ks.Close()
	var checker audit.CompromiseChecker = ks // for secrets.WithCompromiseChecker, policy.WithCompromiseChecker

	// On the replica handling the alert:
	// A mark that was not written is an error: retry it, or page someone.
	if err := ks.Mark(ctx, natskill.KindJob, "spiffe://example.org/ci/job-42", "runtime alert", "falco", time.Time{}); err != nil {
		panic(err)
	}
	fmt.Println(checker.Compromised("spiffe://example.org/ci/job-42"))
}

// A deny names its reason: a mark, or a switch that cannot decide.
func ExampleMarkedError() {
	for _, err := range []error{
		&natskill.MarkedError{Mark: natskill.Mark{Kind: natskill.KindKey, Mark: audit.Mark{ID: "kid-1", Reason: "leaked", By: "oncall"}}},
		&natskill.StaleError{Age: 3 * time.Second, Bound: 2 * time.Second},
	} {
		fmt.Println(errors.Is(err, natskill.ErrCompromised), errors.Is(err, natskill.ErrUndecided))
	}
	// Output:
	// true false
	// false true
}
