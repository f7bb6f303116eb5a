package secrets_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// TestDirRefusesAliasedNames: the authorizer decides on the secret name as
// written, so Dir must read the file of that name and no other. With a
// grant on "db/*", "db/../prod" used to read the file "prod", which no
// grant covers; "db//ro" and "./db/ro" read "db/ro" under names nobody
// granted. Every spelling but the clean one is now not found. The Guard
// refuses these names itself since review 21, so Dir is tested behind an
// authorizer that allows "db/" by prefix, as a naive policy would.
func TestDirRefusesAliasedNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"db/ro": "db-readonly-value", "prod": "production-value"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	g, err := identity.NewGuard([]identity.Grant{{Name: "db", To: identity.MatchIssuer(job.Issuer), Permissions: []string{"secrets:read:db/*"}}})
	if err != nil {
		t.Fatal(err)
	}
	guard := secrets.GuardAuthorizer(g)
	prefix := secrets.AuthorizerFunc(func(_ context.Context, r secrets.Request) (secrets.Decision, error) {
		return secrets.Decision{Allow: strings.HasPrefix(r.Name, "db/")}, nil
	})
	b, err := secrets.New(prefix, secrets.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background(), secrets.JobSpec{ID: "dir-names", Identity: job}, func(ctx context.Context, j *secrets.Job) error {
		l, err := j.Lease(ctx, "db/ro")
		if err != nil {
			t.Fatalf("db/ro: %v", err)
		}
		if v, err := l.Value(); err != nil || v.Reveal() != "db-readonly-value" {
			t.Fatalf("db/ro: %v", err)
		}
		for _, name := range []string{"db/../prod", "db/./ro", "db//ro", "db/ro/", "db/x/../../prod", `db/..\prod`} {
			l, err := j.Lease(ctx, name)
			if !errors.Is(err, secrets.ErrNotFound) {
				t.Errorf("%q: got lease %v, error %v; want ErrNotFound", name, l, err)
			}
			if d, err := guard.Authorize(ctx, secrets.Request{Identity: job, Name: name}); err != nil || d.Allow || !strings.Contains(d.Reason, "invalid permission") {
				t.Errorf("%q: GuardAuthorizer gave %+v, %v; want a deny saying the name is invalid", name, d, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
