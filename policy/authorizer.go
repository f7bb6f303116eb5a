package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/ztci/ztci/secrets"
)

// SecretsAuthorizer returns the [secrets.Authorizer] that asks e whether a
// job may receive a secret: the input is [SecretsInput] for the job's
// verified identity and the secret's name (action "secrets.release"). A
// deny carries the policy's rule ids in its reason and the policy revision;
// an evaluation error is "could not decide", and the broker denies.
func SecretsAuthorizer(e Evaluator) secrets.Authorizer {
	return secrets.AuthorizerFunc(func(ctx context.Context, req secrets.Request) (secrets.Decision, error) {
		if e == nil {
			return secrets.Decision{}, fmt.Errorf("%w: nil evaluator", ErrNoDecision)
		}
		d, err := e.Evaluate(ctx, SecretsInput(req.Identity, req.Name))
		if err != nil {
			return secrets.Decision{}, err
		}
		reason := "allowed by policy"
		if !d.Allowed {
			rules := make([]string, 0, len(d.Violations))
			for _, v := range d.Violations {
				rules = append(rules, v.Rule)
			}
			reason = "denied by policy: " + strings.Join(rules, ", ")
		}
		return secrets.Decision{Allow: d.Allowed, Reason: reason, PolicyRevision: d.Revision}, nil
	})
}
