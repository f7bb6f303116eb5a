package identity_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ztci/ztci/identity"
)

// A server that refuses a request for a reason of its own (a busy slot)
// verifies a single-use token without spending it, and spends it only
// once it will serve the request: the job retries with the same token.
// The verifier here is a stand-in that accepts one token once; a real one
// is *oidc.Verifier with oidc.WithSingleUse.
func ExampleDeferredTokenVerifier() {
	var mu sync.Mutex
	spent := false
	var v identity.DeferredTokenVerifier = identity.DeferredTokenVerifierFunc(
		func(_ context.Context, raw string) (identity.Identity, func(context.Context) error, error) {
			if raw != "job-token" {
				return identity.Identity{}, nil, errors.New("not a token")
			}
			id := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app"}
			return id, func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if spent {
					return errors.New("token already spent")
				}
				spent = true
				return nil
			}, nil
		})
	serve := func(ctx context.Context, busy bool) string {
		id, spend, err := v.VerifyDeferred(ctx, "job-token")
		if err != nil {
			return "401"
		}
		if busy {
			return "503, " + id.ID() + " keeps its token"
		}
		if err := spend(ctx); err != nil {
			return "401, " + err.Error()
		}
		return "200, served " + id.ID()
	}
	ctx := context.Background()
	fmt.Println(serve(ctx, true))
	fmt.Println(serve(ctx, false))
	fmt.Println(serve(ctx, false))
	// Output:
	// 503, https://ci.example#repo:acme/app keeps its token
	// 200, served https://ci.example#repo:acme/app
	// 401, token already spent
}
