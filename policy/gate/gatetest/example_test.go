package gatetest_test

import (
	"context"
	"fmt"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// An image released from a protected ref is allowed; one built from an
// unprotected branch is denied by policy although its signatures are
// genuine.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		panic(err)
	}
	defer lab.Close()
	g, err := lab.Gate(ctx, audit.SinkFunc(func(context.Context, audit.Event) error { return nil }))
	if err != nil {
		panic(err)
	}
	for _, j := range []gatetest.Job{{Ref: "refs/heads/main", Protected: true}, {Ref: "refs/heads/feature/x"}} {
		img, err := lab.Publish(ctx, j, "build")
		if err != nil {
			panic(err)
		}
		tok, err := lab.Token(ctx, j)
		if err != nil {
			panic(err)
		}
		d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image})
		fmt.Println(j.Ref, d.Outcome, d.Rules(), d.Digest == img.Digest, err)
	}
	// Output:
	// refs/heads/main allow [] true <nil>
	// refs/heads/feature/x deny [deploy.source_ref_not_allowed deploy.unprotected_ref] true <nil>
}
