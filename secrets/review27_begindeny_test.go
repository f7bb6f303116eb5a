package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets"
)

// failingAuditSink refuses every event.
type failingAuditSink struct{}

var errReview27Sink = errors.New("audit sink down")

func (failingAuditSink) Write(context.Context, audit.Event) error { return errReview27Sink }

// A job of an identity the compromise checker marks, or one RevokeIdentity
// holds refused, is refused at Begin (ErrCompromised), and the refusal is
// audited once as a job deny that names the job and the actor and carries
// no token. A marked identity's job used to be begun.
func TestReview27BeginDeny(t *testing.T) {
	t.Parallel()
	token := "job-token-that-must-not-be-audited-0123456789"
	tests := []struct {
		name   string
		opts   []secrets.Option
		revoke bool
	}{
		{name: "compromise checker marks the identity",
			opts: []secrets.Option{secrets.WithCompromiseChecker(compromised{job.ID(): true})}},
		{name: "revoke hold", revoke: true},
		{name: "both", revoke: true,
			opts: []secrets.Option{secrets.WithCompromiseChecker(compromised{job.ID(): true})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := &sink{}
			b := newBroker(t, newMem("value-of-the-secret"), append(tt.opts, secrets.WithAudit(s), secrets.WithJournal(t.TempDir()))...)
			if tt.revoke {
				if _, err := b.RevokeIdentity(ctx, job.ID()); err != nil {
					t.Fatal(err)
				}
			}
			sp := spec("j-review27-deny")
			sp.Token = secrets.NewValue(token)
			j, err := b.Begin(ctx, sp)
			if err == nil {
				_ = j.End(ctx)
				t.Fatal("Begin of a compromised identity's job: allowed, want ErrCompromised")
			}
			if !errors.Is(err, secrets.ErrCompromised) || !errors.Is(err, secrets.ErrDenied) {
				t.Fatalf("Begin: %v, want ErrCompromised", err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.events) != 1 {
				t.Fatalf("audit events: %v, want one job deny", s.events)
			}
			e := s.events[0]
			if e.Action != secrets.ActionJobDeny || e.Outcome != audit.OutcomeDeny ||
				e.Actor.ID != job.ID() || e.Correlation.JobID != sp.ID || e.Resource != "job:"+sp.ID {
				t.Fatalf("audit event: %+v", e)
			}
			if err := e.Validate(); err != nil {
				t.Fatalf("audit event invalid: %v", err)
			}
			enc, err := audit.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(enc), token) {
				t.Fatal("job deny audit event carries the job's token")
			}
		})
	}
}

// When the audit sink fails, the refusal stands and the error says the
// audit failed too.
func TestReview27BeginDenyAuditFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []secrets.Option
		revoke bool
	}{
		{name: "compromise checker", opts: []secrets.Option{secrets.WithCompromiseChecker(compromised{job.ID(): true})}},
		{name: "revoke hold", revoke: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			b := newBroker(t, newMem("value-of-the-secret"), append(tt.opts, secrets.WithAudit(failingAuditSink{}))...)
			if tt.revoke {
				if _, err := b.RevokeIdentity(ctx, job.ID()); err != nil {
					t.Fatal(err)
				}
			}
			j, err := b.Begin(ctx, spec("j-review27-auditfail"))
			if err == nil {
				_ = j.End(ctx)
				t.Fatal("Begin allowed when its refusal could not be audited")
			}
			if !errors.Is(err, secrets.ErrCompromised) || !errors.Is(err, secrets.ErrAudit) || !errors.Is(err, errReview27Sink) {
				t.Fatalf("Begin: %v, want ErrCompromised and ErrAudit", err)
			}
		})
	}
}
