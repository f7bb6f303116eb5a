package natskill_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview35MarkPrefix: Switch.Mark accepted a repository or owner mark
// id that no check could match (a prefix in another case, which
// audit.CanonicalMarkID does not fold; whitespace after the prefix or
// around the platform's slash; no platform and slash, or no value): it was
// stored and audited fleet-wide while the repository's jobs went on being
// allowed. Such an id is refused with ErrConfig and the audit.FieldError,
// and nothing is stored; the ids audit.MarkIDs emits are still accepted.
func TestReview35MarkPrefix(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, audittest.NewRecorder())
	})
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		id   string
	}{
		{"capitalised repository prefix", "Repository:github-actions/acme/app"},
		{"uppercase repository_id prefix", "REPOSITORY_ID:github-actions/42"},
		{"mixed-case owner prefix", "Repository_Owner_ID:github-actions/7"},
		{"space after the prefix", "repository: github-actions/acme/app"},
		{"space before the slash", "repository_id:github-actions /42"},
		{"space after the slash", "repository_owner_id:github-actions/ 7"},
		{"no platform segment, no slash", "repository_id:42"},
		{"empty value", "repository:github-actions/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Mark(ctx, natskill.KindJob, tc.id, "test", "operator", time.Time{})
			var fe *audit.FieldError
			if !errors.Is(err, natskill.ErrConfig) || !errors.As(err, &fe) {
				t.Fatalf("Mark(%q): %v, want ErrConfig with an audit.FieldError", tc.id, err)
			}
		})
	}
	if ms := s.Marks(); len(ms) != 0 {
		t.Fatalf("refused marks stored: %+v", ms)
	}
	const ok = "repository_id:github-actions/42"
	if err := s.Mark(ctx, natskill.KindJob, ok, "test", "operator", time.Time{}); err != nil {
		t.Fatalf("Mark(%q): %v", ok, err)
	}
	job := audit.Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/x", Kind: "job",
		Claims: map[string]string{"platform": "github-actions", "repository": "acme/app", "repository_id": "42"}}
	waitFor(t, 5*time.Second, func() bool { return audit.ActorCompromised(s, job) })
}
