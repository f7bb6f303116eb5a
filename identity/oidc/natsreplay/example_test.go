package natsreplay_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
)

// Every gate replica connects to the same JetStream cluster and hands the
// shared cache to its verifier. This example needs a running NATS cluster, so
// it has no Output and is compiled, not run; the package tests run the same
// wiring against a real 3-node cluster.
func Example() {
	ctx := context.Background()
	// TLS and the gate's own credentials: whoever can write the bucket can
	// spend tokens (a denial of service) or, by deleting claims, make a
	// spent token look fresh. Grant the gates' account alone access to it.
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
	rc, err := natsreplay.New(ctx, js, natsreplay.WithReplicas(3), natsreplay.WithTimeout(500*time.Millisecond))
	if err != nil {
		panic(err) // no bucket with per-key TTL: do not start without single-use
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "deploy", oidc.WithSingleUse(rc))
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(ctx, "eyJ...")
	fmt.Println("deny:", err != nil) // any error: deny
}

// Key is what the bucket stores for a claim: a hash, never the token id.
func ExampleKey() {
	fmt.Println(natsreplay.Key("https://ci.example.com\x00d2c3b5f0a9e1"))
	// Output:
	// zrW1l6FPnBY7K0YScjC1GKwLPARpq6ZZUsYu7GVxuss
}
