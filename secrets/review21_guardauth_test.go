package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

func review21GuardBroker(t *testing.T, guardSink audit.Sink) (*secrets.Broker, *audittest.Recorder) {
	t.Helper()
	var opts []identity.Option
	if guardSink != nil {
		opts = append(opts, identity.WithAudit(guardSink))
	}
	g, err := identity.NewGuard([]identity.Grant{{Name: "team-a", To: identity.MatchIssuer(job.Issuer),
		Permissions: []string{"secrets:read:team-a/*"}}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	b, err := secrets.New(secrets.GuardAuthorizer(g), secrets.Static{"team-a/db": "team-a-database-value", "team-b/db": "team-b-database-value"},
		secrets.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	return b, rec
}

// TestReview21GuardAuthorizerDeniesInvalidNames: the Guard refuses a name
// a store may resolve to another ("team-a/../team-b/db") with an error,
// and GuardAuthorizer passed it on as one, so the broker reported and
// audited a traversal attempt as ErrPolicyUndecided, "policy could not
// decide", which reads as a policy outage rather than a refused request.
// It is a deny of a malformed request: a DeniedError (ErrPolicyDenied)
// whose audited reason says the name is invalid.
func TestReview21GuardAuthorizerDeniesInvalidNames(t *testing.T) {
	t.Parallel()
	b, rec := review21GuardBroker(t, nil)
	err := b.Run(t.Context(), spec("guard-names"), func(ctx context.Context, j *secrets.Job) error {
		if _, err := j.Lease(ctx, "team-a/db"); err != nil {
			t.Fatalf("team-a/db: %v", err)
		}
		for _, name := range []string{"team-a/../team-b/db", "team-a/．．/team-b/db", "team-a//db", "team-a/%2e%2e/team-b/db"} {
			l, err := j.Lease(ctx, name)
			var denied *secrets.DeniedError
			if l != nil || !errors.As(err, &denied) || !errors.Is(err, secrets.ErrPolicyDenied) || errors.Is(err, secrets.ErrPolicyUndecided) {
				t.Fatalf("%q: %v, %v; want a DeniedError (ErrPolicyDenied), not ErrPolicyUndecided", name, l, err)
			}
			if !strings.Contains(denied.Reason, "invalid permission") {
				t.Errorf("%q: reason %q; want it to say the name is invalid", name, denied.Reason)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var denies int
	for _, e := range rec.Events() {
		if e.Action != secrets.ActionDeny {
			continue
		}
		denies++
		if e.Outcome != audit.OutcomeDeny || !strings.Contains(e.Reason, "invalid permission") {
			t.Errorf("deny event %+v; want its reason to say the name is invalid", e)
		}
	}
	if denies != 4 {
		t.Errorf("%d deny events, want 4", denies)
	}
}

// TestReview21GuardAuthorizerAuditFailureUndecided: when the Guard cannot
// audit its refusal, nothing was decided: the broker still denies, with
// ErrPolicyUndecided.
func TestReview21GuardAuthorizerAuditFailureUndecided(t *testing.T) {
	t.Parallel()
	boom := errors.New("guard audit down")
	b, _ := review21GuardBroker(t, audit.SinkFunc(func(context.Context, audit.Event) error { return boom }))
	err := b.Run(t.Context(), spec("guard-audit-down"), func(ctx context.Context, j *secrets.Job) error {
		for _, name := range []string{"team-a/db", "team-a/../team-b/db"} {
			l, err := j.Lease(ctx, name)
			if l != nil || !errors.Is(err, secrets.ErrPolicyUndecided) || !errors.Is(err, identity.ErrAudit) {
				t.Errorf("%q: %v, %v; want ErrPolicyUndecided wrapping identity.ErrAudit", name, l, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
