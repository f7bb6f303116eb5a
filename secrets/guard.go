package secrets

import (
	"context"
	"fmt"

	"github.com/ztci/ztci/identity"
)

// GuardAuthorizer returns an [Authorizer] that releases a secret to a job
// exactly when g grants the job's identity [identity.SecretsRead] of that
// secret's name. It is the answer for a vendor whose secret grants are
// identity-to-permission rules rather than a policy engine (for that, see
// policy.SecretsAuthorizer). A Guard error is "could not decide": the
// broker denies. Since a grant's '*' crosses '/', the Guard refuses in
// this way a name a store may resolve to another ("db/../prod", "db//ro",
// "db/%2e%2e", "db/．．/prod": an error wrapping
// identity.ErrInvalidPermission).
func GuardAuthorizer(g *identity.Guard) Authorizer {
	return AuthorizerFunc(func(ctx context.Context, req Request) (Decision, error) {
		if g == nil {
			return Decision{}, fmt.Errorf("%w: nil guard", ErrConfig)
		}
		d, err := g.Check(ctx, identity.Request{Who: req.Identity, Permission: identity.SecretsRead(req.Name)})
		if err != nil {
			return Decision{}, err
		}
		return Decision{Allow: d.Allowed, Reason: d.Reason}, nil
	})
}
