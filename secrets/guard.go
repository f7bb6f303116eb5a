package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/ztci/ztci/identity"
)

// GuardAuthorizer returns an [Authorizer] that releases a secret to a job
// exactly when g grants the job's identity [identity.SecretsRead] of that
// secret's name. It is the answer for a vendor whose secret grants are
// identity-to-permission rules rather than a policy engine (for that, see
// policy.SecretsAuthorizer). Since a grant's '*' crosses '/', the Guard
// refuses a name a store may resolve to another ("db/../prod", "db//ro",
// "db/%2e%2e", "db/．．/prod"): that is a deny, not a failure to decide,
// so [Job.Lease] returns a [*DeniedError] ([ErrPolicyDenied]) whose
// reason, audited, says the name is invalid. Any other Guard error (its
// audit sink failed) is "could not decide": the broker denies with
// [ErrPolicyUndecided].
func GuardAuthorizer(g *identity.Guard) Authorizer {
	return AuthorizerFunc(func(ctx context.Context, req Request) (Decision, error) {
		if g == nil {
			return Decision{}, fmt.Errorf("%w: nil guard", ErrConfig)
		}
		d, err := g.Check(ctx, identity.Request{Who: req.Identity, Permission: identity.SecretsRead(req.Name)})
		switch {
		case errors.Is(err, identity.ErrAudit):
			// Not decided: the Guard gives no decision it could not audit.
			return Decision{}, err
		case errors.Is(err, identity.ErrInvalidPermission):
			return Decision{Reason: d.Reason}, nil
		case err != nil:
			return Decision{}, err
		}
		return Decision{Allow: d.Allowed, Reason: d.Reason}, nil
	})
}
