package natskill_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// review34Job is a job whose token spells its repository "acme/app".
var review34Job = audit.Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/x", Kind: "job",
	Claims: map[string]string{"platform": "github-actions", "repository": "acme/app", "repository_id": "42"}}

func review34Switch(t *testing.T) (*natskill.Switch, *itest.NATSCluster) {
	t.Helper()
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, audittest.NewRecorder())
	})
	t.Cleanup(func() { s.Close() })
	return s, c
}

// TestReview34MarkCase: a mark on a repository by name was stored and
// compared byte for byte, so an operator's "repository:github-actions/Acme/App"
// did not deny a job whose token spells the repository "acme/app" (GitHub's
// and GitLab's names are case-insensitive): the kill switch, a deny-list,
// let the repository's jobs through. Repository and owner mark ids are
// folded (audit.CanonicalMarkID) when marked, cleared and checked, and the
// check still fails closed on nothing else.
func TestReview34MarkCase(t *testing.T) {
	s, _ := review34Switch(t)
	ctx := t.Context()
	if err := s.Mark(ctx, natskill.KindJob, "repository:github-actions/Acme/App", "test", "operator", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !audit.ActorCompromised(s, review34Job) {
		t.Fatal("mark on Acme/App: job of acme/app allowed; want denied")
	}
	if err := s.Check(natskill.KindJob, "repository:github-actions/ACME/app"); !errors.Is(err, natskill.ErrCompromised) {
		t.Fatalf("Check in a third case: %v, want ErrCompromised", err)
	}
	if ms := s.Marks(); len(ms) != 1 || ms[0].ID != "repository:github-actions/acme/app" {
		t.Fatalf("Marks: %+v, want the one mark under its folded id", ms)
	}
	if err := s.Clear(ctx, natskill.KindJob, "repository:GitHub-Actions/ACME/aPP", "test", "operator"); err != nil {
		t.Fatalf("Clear in a third case: %v", err)
	}
	waitFor(t, 5*time.Second, func() bool { return !audit.ActorCompromised(s, review34Job) })
	if err := s.Clear(ctx, natskill.KindJob, "repository:github-actions/acme/app", "test", "operator"); !errors.Is(err, natskill.ErrNotMarked) {
		t.Fatalf("second Clear: %v, want ErrNotMarked", err)
	}
}

// TestReview34MarkCaseStoredBefore: a repository mark stored unfolded (by a
// replica of an earlier version, before an upgrade) still denies the
// repository's jobs in any case, alongside a folded mark of the same
// repository, and ClearMark of it as Marks lists it lifts it.
func TestReview34MarkCaseStoredBefore(t *testing.T) {
	s, c := review34Switch(t)
	ctx := t.Context()
	kv := bucket(t, connect(t, c.URLs()))
	const old = "repository:github-actions/Acme/App"
	val, err := json.Marshal(map[string]any{"kind": "job", "id": old, "reason": "test", "by": "operator", "since": time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, markKey(natskill.KindJob, old), val); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return audit.ActorCompromised(s, review34Job) })
	if err := s.Mark(ctx, natskill.KindJob, "repository:github-actions/acme/app", "test", "operator", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx, natskill.KindJob, "repository:github-actions/ACME/APP", "test", "operator"); err != nil {
		t.Fatal(err)
	}
	// The folded mark is gone; the one stored before still denies.
	waitFor(t, 5*time.Second, func() bool { return len(s.Marks()) == 1 })
	if !audit.ActorCompromised(s, review34Job) {
		t.Fatal("the mark stored unfolded no longer denies once a folded one of the same repository is cleared")
	}
	m := s.Marks()[0]
	if m.ID != old {
		t.Fatalf("Marks: %+v, want the mark stored before", m)
	}
	if err := s.ClearMark(ctx, m, "test", "operator"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return !audit.ActorCompromised(s, review34Job) })
}
