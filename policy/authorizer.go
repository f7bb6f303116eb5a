package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/secrets"
)

// SecretsAuthorizer returns the [secrets.Authorizer] that asks e whether a
// job may receive a secret: the input is [SecretsInput] for the job's
// verified identity and the secret's name (action "secrets.release"), with
// input.secrets.renewal true when the broker asks again for a lease being
// renewed (secrets.Request.Renewal), false for an issue. A
// deny carries the policy's rule ids in its reason and the policy revision;
// an evaluation error is "could not decide", and the broker denies.
//
// The release follows Decision.Allowed, the verdict after the mode: in
// [Warn] and [DryRun] modes a secret the policy would deny is released, and
// the reason says so. A decision that claims Allowed with violations, or
// with PolicyAllowed false, in any other mode (an Evaluator that is not an
// [Engine] and breaks the Decision contract) is a deny.
func SecretsAuthorizer(e Evaluator) secrets.Authorizer {
	return secrets.AuthorizerFunc(func(ctx context.Context, req secrets.Request) (secrets.Decision, error) {
		if e == nil {
			return secrets.Decision{}, fmt.Errorf("%w: nil evaluator", ErrNoDecision)
		}
		in := SecretsInput(req.Identity, req.Name)
		in.Secrets.Renewal = req.Renewal
		d, err := e.Evaluate(ctx, in)
		if err != nil {
			return secrets.Decision{}, err
		}
		rules := make([]string, 0, len(d.Violations))
		for _, v := range d.Violations {
			// An Evaluator that is not an Engine may return any rule id:
			// the reason is audited and becomes a DeniedError's text.
			r := v.Rule
			if !validRule(r) {
				r = clip.Quote(r, 64)
			}
			rules = append(rules, r)
		}
		// Outside Warn and DryRun, Allowed must be what the policy itself
		// decided: an allow the policy did not give (PolicyAllowed false,
		// or violations) comes from an Evaluator breaking the Decision
		// contract, in Enforce mode, no mode or one that is not a Mode,
		// and the broker must not act on it.
		rollout := d.Mode == Warn || d.Mode == DryRun
		allow := d.Allowed && (rollout || (d.PolicyAllowed && len(d.Violations) == 0))
		reason := "allowed by policy"
		switch {
		case !allow:
			reason = "denied by policy: " + strings.Join(rules, ", ")
		case len(rules) > 0 || !d.PolicyAllowed:
			// Warn or dry-run: released, but the audit must not read as
			// if the policy had allowed it.
			reason = fmt.Sprintf("allowed in %s mode; the policy would deny", d.Mode)
			if len(rules) > 0 {
				reason += ": " + strings.Join(rules, ", ")
			}
		}
		return secrets.Decision{Allow: allow, Reason: reason, PolicyRevision: d.Revision}, nil
	})
}
