package secrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// memBackend is an in-memory revocable backend for the broker's own tests
// (the real-server lifecycle tests are in secrets/postgres). It can be told
// to fail revocations or to hang, which a real backend cannot be made to do
// on demand.
type memBackend struct {
	mu         sync.Mutex
	value      string
	ttl        time.Duration
	singleUse  bool
	live       map[string]bool
	revokes    int
	failRevoke int // fail this many revocations first
	issueErr   error
	hang       bool
	gate       chan struct{} // if set, Issue waits for it
}

func newMem(value string) *memBackend { return &memBackend{value: value, live: map[string]bool{}} }

func (m *memBackend) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	m.mu.Lock()
	hang, err, gate := m.hang, m.issueErr, m.gate
	m.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if hang {
		<-ctx.Done()
		return secrets.Grant{}, fmt.Errorf("%w: %w", secrets.ErrBackend, ctx.Err())
	}
	if err != nil {
		return secrets.Grant{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.live[req.LeaseID] = true
	return secrets.Grant{Value: secrets.NewValue(m.value), TTL: m.ttl, Renewable: true, SingleUse: m.singleUse}, nil
}

func (m *memBackend) Revoke(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revokes++
	if m.failRevoke > 0 {
		m.failRevoke--
		return errors.New("backend unavailable")
	}
	delete(m.live, id)
	return nil
}

func (m *memBackend) Renew(_ context.Context, id string, ttl time.Duration) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.live[id] {
		return 0, errors.New("unknown lease")
	}
	return ttl, nil
}

func (m *memBackend) liveCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// sink records audit events.
type sink struct {
	mu     sync.Mutex
	events []audit.Event
}

func (s *sink) Write(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return nil
}

func (s *sink) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		out = append(out, e.Action+":"+string(e.Outcome))
	}
	return out
}

var job = identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app:ref:refs/heads/main",
	Claims: identity.Claims{Repository: "octo/app", Ref: "refs/heads/main"}}

func spec(id string) secrets.JobSpec { return secrets.JobSpec{ID: id, Identity: job} }

func newBroker(t *testing.T, be secrets.Backend, opts ...secrets.Option) *secrets.Broker {
	t.Helper()
	b, err := secrets.New(secrets.AllowNames("db", "api"), be, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func journalFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.leases"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestJobEndings checks that every way a job can end revokes every lease it
// holds and removes its durable record.
func TestJobEndings(t *testing.T) {
	t.Parallel()
	errBuild := errors.New("build failed")
	tests := []struct {
		name    string
		run     func(ctx context.Context, b *secrets.Broker) error
		wantErr error
	}{
		{name: "success", run: func(ctx context.Context, b *secrets.Broker) error {
			return b.Run(ctx, spec("j-success"), func(ctx context.Context, j *secrets.Job) error {
				_, err := j.Lease(ctx, "db")
				return err
			})
		}},
		{name: "failure", wantErr: errBuild, run: func(ctx context.Context, b *secrets.Broker) error {
			return b.Run(ctx, spec("j-failure"), func(ctx context.Context, j *secrets.Job) error {
				if _, err := j.Lease(ctx, "db"); err != nil {
					return err
				}
				return errBuild
			})
		}},
		{name: "cancellation", run: func(ctx context.Context, b *secrets.Broker) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			j, err := b.Begin(ctx, spec("j-cancel"))
			if err != nil {
				return err
			}
			if _, err := j.Lease(ctx, "db"); err != nil {
				return err
			}
			cancel() // the job's context ends; nobody calls End
			synctest.Wait()
			return nil
		}},
		{name: "timeout", run: func(ctx context.Context, b *secrets.Broker) error {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			j, err := b.Begin(ctx, spec("j-timeout"))
			if err != nil {
				return err
			}
			if _, err := j.Lease(ctx, "api"); err != nil {
				return err
			}
			time.Sleep(2 * time.Minute) // the deadline passes while the job runs
			synctest.Wait()
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				be := newMem("value-of-the-secret")
				dir := t.TempDir()
				s := &sink{}
				b := newBroker(t, be, secrets.WithJournal(dir), secrets.WithAudit(s))
				err := tt.run(t.Context(), b)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if n := be.liveCount(); n != 0 {
					t.Errorf("%d leases still live after the job ended", n)
				}
				if f := journalFiles(t, dir); len(f) != 0 {
					t.Errorf("lease record left behind: %v", f)
				}
				if got := strings.Join(s.actions(), ","); got != "secrets.lease.issue:success,secrets.lease.revoke:success" {
					t.Errorf("audit trail = %s", got)
				}
			})
		})
	}
}

// TestCrashAndRecover abandons a job without ending it (as a crash would)
// and recovers its leases from the durable record in a new broker.
func TestCrashAndRecover(t *testing.T) {
	t.Parallel()
	be := newMem("value-of-the-secret")
	dir := t.TempDir()
	crashed := newBroker(t, be, secrets.WithJournal(dir))
	j, err := crashed.Begin(context.Background(), spec("j-crash"))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := j.Lease(t.Context(), "db"); err != nil {
			t.Fatal(err)
		}
	}
	// The process dies here: no End, no cancellation.
	if be.liveCount() != 3 || len(journalFiles(t, dir)) != 1 {
		t.Fatalf("setup: %d live, record %v", be.liveCount(), journalFiles(t, dir))
	}
	raw, _ := os.ReadFile(journalFiles(t, dir)[0])
	if bytes.Contains(raw, []byte("value-of-the-secret")) {
		t.Fatal("the lease record contains the secret value")
	}

	s := &sink{}
	restarted := newBroker(t, be, secrets.WithJournal(dir), secrets.WithAudit(s))
	n, err := restarted.Recover(t.Context())
	if err != nil || n != 3 {
		t.Fatalf("Recover = %d, %v; want 3, nil", n, err)
	}
	if be.liveCount() != 0 || len(journalFiles(t, dir)) != 0 {
		t.Fatalf("after recovery: %d live, record %v", be.liveCount(), journalFiles(t, dir))
	}
	if len(s.events) != 3 || s.events[0].Action != secrets.ActionRevoke || s.events[0].Actor.ID != job.ID() {
		t.Fatalf("recovery audit events: %+v", s.events)
	}
	// The job id can be reused once recovered.
	if _, err := restarted.Begin(t.Context(), spec("j-crash")); err != nil {
		t.Fatal(err)
	}
	if _, err := restarted.Begin(t.Context(), spec("j-crash")); !errors.Is(err, secrets.ErrJournal) {
		t.Fatalf("a second Begin with a recorded job id: got %v, want ErrJournal", err)
	}
}

// TestRevokeRetries checks that failed revocations are retried with backoff,
// reported, audited, kept in the record, and finished by Recover.
func TestRevokeRetries(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		be.failRevoke = 2
		dir := t.TempDir()
		b := newBroker(t, be, secrets.WithJournal(dir), secrets.WithRevokeRetry(3, time.Second))
		start := time.Now()
		err := b.Run(t.Context(), spec("j-retry"), func(ctx context.Context, j *secrets.Job) error {
			_, err := j.Lease(ctx, "db")
			return err
		})
		if err != nil {
			t.Fatalf("two failures then success within 3 attempts: %v", err)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("backoff waited %v, want 1s+2s", waited)
		}

		be.failRevoke = 100
		s := &sink{}
		b = newBroker(t, be, secrets.WithJournal(dir), secrets.WithRevokeRetry(3, time.Second), secrets.WithAudit(s))
		err = b.Run(t.Context(), spec("j-fail"), func(ctx context.Context, j *secrets.Job) error {
			_, err := j.Lease(ctx, "db")
			return err
		})
		var re *secrets.RevokeError
		if !errors.Is(err, secrets.ErrRevoke) || !errors.As(err, &re) || re.Attempts != 3 || re.Name != "db" {
			t.Fatalf("got %v, want a RevokeError after 3 attempts", err)
		}
		if got := s.actions(); got[len(got)-1] != "secrets.lease.revoke:failure" {
			t.Errorf("revocation failure not audited: %v", got)
		}
		if be.liveCount() != 1 || len(journalFiles(t, dir)) != 1 {
			t.Fatalf("a lease that failed to revoke must stay recorded")
		}
		be.failRevoke = 0
		if n, err := b.Recover(t.Context()); n != 1 || err != nil {
			t.Fatalf("Recover = %d, %v", n, err)
		}
		if be.liveCount() != 0 || len(journalFiles(t, dir)) != 0 {
			t.Fatal("recovery left leases behind")
		}
	})
}

type compromised map[string]bool

func (c compromised) Compromised(id string) bool { return c[id] }

func TestDenials(t *testing.T) {
	t.Parallel()
	undecided := secrets.AuthorizerFunc(func(context.Context, secrets.Request) (secrets.Decision, error) {
		return secrets.Decision{}, errors.New("policy engine unreachable")
	})
	tests := []struct {
		name   string
		authz  secrets.Authorizer
		opts   []secrets.Option
		secret string
		want   error
		// atBegin: refused at Begin, as a whole job (ActionJobDeny).
		atBegin bool
	}{
		{name: "secret outside policy", authz: secrets.AllowNames("db"), secret: "prod-root", want: secrets.ErrPolicyDenied},
		{name: "authorizer error fails closed", authz: undecided, secret: "db", want: secrets.ErrPolicyUndecided},
		{name: "compromised identity", authz: secrets.AllowNames("db"), secret: "db",
			opts: []secrets.Option{secrets.WithCompromiseChecker(compromised{job.ID(): true})}, want: secrets.ErrCompromised, atBegin: true},
		{name: "too short to mask", authz: secrets.AllowNames("short"), secret: "short",
			opts: []secrets.Option{secrets.WithMasker(secrets.NewRedactor())}, want: secrets.ErrUnmaskable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &sink{}
			be := secrets.Static{"db": "value-of-the-secret", "short": "1234"}
			b, err := secrets.New(tt.authz, be, append(tt.opts, secrets.WithAudit(s))...)
			if err != nil {
				t.Fatal(err)
			}
			j, err := b.Begin(t.Context(), spec("j-deny"))
			wantAction := "secrets.lease.deny:deny"
			if tt.atBegin {
				wantAction = secrets.ActionJobDeny + ":deny"
				if err == nil {
					_ = j.End(t.Context())
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				defer j.End(t.Context())
				_, err = j.Lease(t.Context(), tt.secret)
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, secrets.ErrDenied) {
				t.Fatalf("got %v, want %v (an ErrDenied)", err, tt.want)
			}
			if got := s.actions(); len(got) == 0 || got[len(got)-1] != wantAction {
				t.Fatalf("deny not audited: %v", got)
			}
		})
	}
	if _, err := newBroker(t, newMem("x")).Begin(t.Context(), secrets.JobSpec{ID: "j"}); !errors.Is(err, secrets.ErrNoIdentity) {
		t.Fatalf("zero identity: got %v", err)
	}
}

func TestLeaseUnusable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		be.ttl = time.Minute
		b := newBroker(t, be)
		j, err := b.Begin(t.Context(), spec("j-unusable"))
		if err != nil {
			t.Fatal(err)
		}
		defer j.End(t.Context())
		l, _ := j.Lease(t.Context(), "db")
		if v, err := l.Value(); err != nil || v.Reveal() != "value-of-the-secret" {
			t.Fatalf("fresh lease: %v", err)
		}
		exp, err := l.Renew(t.Context(), 2*time.Minute)
		if err != nil || !exp.Equal(time.Now().Add(2*time.Minute)) {
			t.Fatalf("Renew = %v, %v", exp, err)
		}
		time.Sleep(2 * time.Minute)
		if _, err := l.Value(); !errors.Is(err, secrets.ErrExpired) {
			t.Fatalf("expired lease read: got %v", err)
		}
		if _, err := l.Renew(t.Context(), time.Minute); !errors.Is(err, secrets.ErrExpired) {
			t.Fatalf("expired lease renew: got %v", err)
		}

		l2, _ := j.Lease(t.Context(), "db")
		v, _ := l2.Value()
		if err := l2.Revoke(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := l2.Value(); !errors.Is(err, secrets.ErrRevoked) {
			t.Fatalf("revoked lease read: got %v", err)
		}
		if v.Reveal() != "" {
			t.Fatal("revocation did not wipe the value")
		}

		be.singleUse = true
		l3, _ := j.Lease(t.Context(), "db")
		if _, err := l3.Value(); err != nil {
			t.Fatal(err)
		}
		if _, err := l3.Value(); !errors.Is(err, secrets.ErrAlreadyRead) {
			t.Fatalf("second read of a single-use lease: got %v", err)
		}

		if err := j.End(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := j.Lease(t.Context(), "db"); !errors.Is(err, secrets.ErrJobEnded) {
			t.Fatalf("lease after End: got %v", err)
		}
	})
}

func TestBackendFailures(t *testing.T) {
	t.Parallel()
	t.Run("down", func(t *testing.T) {
		t.Parallel()
		be := newMem("v")
		be.issueErr = fmt.Errorf("%w: connection refused", secrets.ErrBackend)
		b := newBroker(t, be)
		j, _ := b.Begin(t.Context(), spec("j-down"))
		l, err := j.Lease(t.Context(), "db")
		if !errors.Is(err, secrets.ErrBackend) || l != nil {
			t.Fatalf("got %v, %v; want ErrBackend and no lease", l, err)
		}
		if err := j.End(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("hangs", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			be := newMem("v")
			be.hang = true
			b := newBroker(t, be)
			j, _ := b.Begin(t.Context(), spec("j-hang"))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err := j.Lease(ctx, "db")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want the context deadline", err)
			}
			if err := j.End(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestMaskerRegistersEveryLease(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	b := newBroker(t, secrets.Static{"db": canary}, secrets.WithMasker(r))
	err := b.Run(t.Context(), spec("j-mask"), func(ctx context.Context, j *secrets.Job) error {
		_, err := j.Lease(ctx, "db")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := redactAll(t, r, []byte("echo "+canary)); out != "echo ***" {
		t.Fatalf("lease value not registered with the masker: %q", out)
	}
}

// TestCanary checks that a known secret never shows in logs, errors, audit
// events, or the printed or marshalled form of any type that holds it.
func TestCanary(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &sink{}
	be := newMem(canary)
	be.failRevoke = 1
	b := newBroker(t, be, secrets.WithLogger(log), secrets.WithAudit(s), secrets.WithRevokeRetry(1, time.Millisecond))
	tokSpec := spec("j-canary")
	tokSpec.Token = secrets.NewValue(canary)
	j, err := b.Begin(t.Context(), tokSpec)
	if err != nil {
		t.Fatal(err)
	}
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := l.Value()
	_, denyErr := j.Lease(t.Context(), "not-allowed")
	log.Info("lease", "lease", l, "value", v, "spec", tokSpec)

	// Printed while the value is live, then again after End.
	if v.Reveal() != canary {
		t.Fatalf("Reveal = %q", v.Reveal())
	}
	seen := printed(t, v, l, tokSpec)
	endErr := j.End(t.Context()) // first revocation fails: error path exercised
	seen = append(seen, printed(t, v, l, tokSpec)...)
	seen = append(seen, fmt.Sprint(denyErr), fmt.Sprint(endErr), logs.String())
	for _, e := range s.events {
		js, _ := json.Marshal(e)
		seen = append(seen, string(js))
	}
	for _, out := range seen {
		if strings.Contains(out, canary) || strings.Contains(out, fmt.Sprintf("%x", canary)) {
			t.Fatalf("canary leaked: %s", out)
		}
	}
	if v.Reveal() != "" {
		// End failed to revoke: the lease stays recorded for a retry, but
		// the ended job's value is wiped.
		t.Fatalf("Reveal after End = %q", v.Reveal())
	}
}

func printed(t *testing.T, v secrets.Value, l *secrets.Lease, tokSpec secrets.JobSpec) []string {
	t.Helper()
	var seen []string
	for _, x := range []any{v, l, tokSpec, secrets.Grant{Value: v}, secrets.Request{Token: v}, []any{v, l}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			seen = append(seen, fmt.Sprintf(verb, x))
		}
		js, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, string(js))
	}
	return seen
}

// TestCanaryPanic re-executes the test binary so that a goroutine panics
// with a Value and a Lease, and checks the runtime's panic output.
func TestCanaryPanic(t *testing.T) {
	t.Parallel()
	if os.Getenv("ZTCI_SECRETS_PANIC_CHILD") == "1" {
		t.Skip("child")
	}
	out, err := runChild(t, "TestPanicChild", "ZTCI_SECRETS_PANIC_CHILD=1")
	if err == nil {
		t.Fatalf("child did not panic:\n%s", out)
	}
	if !strings.Contains(out, "panic:") || !strings.Contains(out, secrets.Redacted) {
		t.Fatalf("unexpected child output:\n%s", out)
	}
	if strings.Contains(out, canary) {
		t.Fatalf("canary in panic output:\n%s", out)
	}
}

func TestPanicChild(t *testing.T) {
	if os.Getenv("ZTCI_SECRETS_PANIC_CHILD") != "1" {
		t.Skip("run by TestCanaryPanic")
	}
	v := secrets.NewValue(canary)
	panic(v)
}

// TestEndWaitsForIssuance: a lease being issued while the job ends is
// revoked too, not orphaned.
func TestEndWaitsForIssuance(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		be.gate = make(chan struct{})
		b := newBroker(t, be)
		j, _ := b.Begin(t.Context(), spec("j-race"))
		go j.Lease(t.Context(), "db")
		synctest.Wait() // the issuance is under way
		ended := make(chan error)
		go func() { ended <- j.End(t.Context()) }()
		synctest.Wait()
		close(be.gate) // the backend creates the credential after End began
		if err := <-ended; err != nil {
			t.Fatal(err)
		}
		if n := be.liveCount(); n != 0 {
			t.Fatalf("%d credentials created during End escaped revocation", n)
		}
	})
}

func TestAuditFailureFailsClosed(t *testing.T) {
	t.Parallel()
	be := newMem("value-of-the-secret")
	broken := audit.SinkFunc(func(context.Context, audit.Event) error { return errors.New("sink down") })
	b := newBroker(t, be, secrets.WithAudit(broken))
	j, _ := b.Begin(t.Context(), spec("j-audit"))
	defer j.End(t.Context())
	l, err := j.Lease(t.Context(), "db")
	if !errors.Is(err, secrets.ErrAudit) || l != nil {
		t.Fatalf("got %v, %v; want ErrAudit and no lease", l, err)
	}
	if be.liveCount() != 0 {
		t.Fatal("an unaudited credential was left live")
	}
}

func TestDevBackends(t *testing.T) {
	t.Setenv("ZTCI_TEST_DB_PASSWORD", "env-value-12345678")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api"), []byte("file-value-12345678\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(filepath.Dir(dir), "outside-secret")
	os.WriteFile(outside, []byte("must-not-be-read"), 0o600)
	defer os.Remove(outside)
	tests := []struct {
		name    string
		backend secrets.Backend
		secret  string
		want    string
		wantErr error
	}{
		{name: "env", backend: secrets.Env("ZTCI_TEST_"), secret: "db/password", want: "env-value-12345678"},
		{name: "env unset", backend: secrets.Env("ZTCI_TEST_"), secret: "nope", wantErr: secrets.ErrNotFound},
		// Each spelling that would read ZTCI_TEST_DB_PASSWORD too, so a
		// grant of "db_password" or "db.*" would release db/password's value.
		{name: "env underscore alias", backend: secrets.Env("ZTCI_TEST_"), secret: "db_password", wantErr: secrets.ErrNotFound},
		{name: "env upper-case alias", backend: secrets.Env("ZTCI_TEST_"), secret: "DB/password", wantErr: secrets.ErrNotFound},
		{name: "env dash alias", backend: secrets.Env("ZTCI_TEST_"), secret: "db-password", wantErr: secrets.ErrNotFound},
		{name: "env dot alias", backend: secrets.Env("ZTCI_TEST_"), secret: "db.password", wantErr: secrets.ErrNotFound},
		{name: "env empty segment", backend: secrets.Env("ZTCI_TEST_"), secret: "db//password", wantErr: secrets.ErrNotFound},
		{name: "env non-ASCII alias", backend: secrets.Env("ZTCI_TEST_"), secret: "db/passwörd", wantErr: secrets.ErrNotFound},
		{name: "dir", backend: secrets.Dir(dir), secret: "api", want: "file-value-12345678"},
		{name: "dir traversal", backend: secrets.Dir(dir), secret: "../outside-secret", wantErr: secrets.ErrNotFound},
		{name: "static missing", backend: secrets.Static{}, secret: "x", wantErr: secrets.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.backend.Issue(t.Context(), secrets.Request{Name: tt.secret})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || g.Value.Reveal() != tt.want {
				t.Fatalf("got %q, %v", g.Value.Reveal(), err)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name  string
		authz secrets.Authorizer
		be    secrets.Backend
		opts  []secrets.Option
	}{
		{name: "nil authorizer", be: secrets.Static{}},
		{name: "nil backend", authz: secrets.AllowNames()},
		{name: "world-writable journal", authz: secrets.AllowNames(), be: secrets.Static{}, opts: []secrets.Option{secrets.WithJournal(open)}},
		{name: "journal not a directory", authz: secrets.AllowNames(), be: secrets.Static{}, opts: []secrets.Option{secrets.WithJournal(file)}},
		{name: "missing journal", authz: secrets.AllowNames(), be: secrets.Static{}, opts: []secrets.Option{secrets.WithJournal(filepath.Join(open, "nope"))}},
		{name: "zero retries", authz: secrets.AllowNames(), be: secrets.Static{}, opts: []secrets.Option{secrets.WithRevokeRetry(0, time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := secrets.New(tt.authz, tt.be, tt.opts...); err == nil {
				t.Fatal("New accepted a bad configuration")
			}
		})
	}
}
