package identity_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
)

func review21AuditedGuard(t *testing.T) (*identity.Guard, *audittest.Recorder, identity.Identity) {
	t.Helper()
	who := identity.Identity{Issuer: "https://ci.example", Subject: "job"}
	rec := audittest.NewRecorder()
	g, err := identity.NewGuard([]identity.Grant{{Name: "team-a", To: identity.MatchIssuer(who.Issuer),
		Permissions: []string{"secrets:read:team-a/*"}}}, identity.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	return g, rec, who
}

// TestReview21GuardAuditsMalformedRequests: Check returned before auditing
// when the requested permission was malformed, so a job probing
// "team-a/../team-b/db" (now refused) left no Guard audit record while
// every allowed and denied request left one. A refusal is now audited as
// a deny whose reason says why, the permission quoted and clipped: it may
// be huge or not UTF-8, which the audit log refuses.
func TestReview21GuardAuditsMalformedRequests(t *testing.T) {
	t.Parallel()
	g, rec, who := review21AuditedGuard(t)
	huge := "secrets:read:team-a/" + strings.Repeat("../", 1<<15) + "team-b/db"
	for _, p := range []string{
		"secrets:read:team-a/../team-b/db", "secrets:read:team-a/．．/team-b/db", "deploy:*", "deploy",
		"secrets:read:team-a/\xff\xfe", "secrets:read:team-a/db\x1b[2J", huge,
	} {
		before := len(rec.Events())
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Permission(p)})
		if !errors.Is(err, identity.ErrInvalidPermission) || errors.Is(err, identity.ErrAudit) || d.Allowed {
			t.Fatalf("%.40q: %+v, %v; want refused with ErrInvalidPermission", p, d, err)
		}
		evs := rec.Events()
		if len(evs) != before+1 {
			t.Fatalf("%.40q: %d audit events, want the refusal audited", p, len(evs)-before)
		}
		e := evs[len(evs)-1]
		if e.Outcome != audit.OutcomeDeny || e.Actor.ID != who.ID() || e.Action != "identity.permission.check" ||
			!strings.Contains(e.Reason, identity.ErrInvalidPermission.Error()) {
			t.Errorf("%.40q: event %+v; want a deny saying the permission is invalid", p, e)
		}
		for _, s := range []string{e.Resource, e.Reason, err.Error()} {
			if len(s) > 2048 || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r >= utf8.RuneSelf }) {
				t.Errorf("%.40q: %.80q is not quoted and clipped", p, s)
			}
		}
	}
	if e := rec.Events()[0]; e.Resource != `"secrets:read:team-a/../team-b/db"` {
		t.Errorf("resource = %s, want the permission quoted", e.Resource)
	}
}

// TestReview21GuardMalformedAuditFailsClosed: a refusal that cannot be
// audited is an ErrAudit error as well, as any other decision.
func TestReview21GuardMalformedAuditFailsClosed(t *testing.T) {
	t.Parallel()
	g, rec, who := review21AuditedGuard(t)
	boom := errors.New("audit down")
	rec.Fail(boom)
	d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: "secrets:read:team-a/../team-b/db"})
	if !errors.Is(err, identity.ErrAudit) || !errors.Is(err, boom) || !errors.Is(err, identity.ErrInvalidPermission) || d.Allowed {
		t.Fatalf("Check = %+v, %v; want ErrAudit and ErrInvalidPermission", d, err)
	}
}

// TestReview21GuardAuditsUnauthenticated: a request by the zero Identity
// was audited with an empty actor id, which every audit sink refuses, so
// its deny came back as ErrAudit and left no record. It is now audited
// under the actor "unauthenticated".
func TestReview21GuardAuditsUnauthenticated(t *testing.T) {
	t.Parallel()
	g, rec, _ := review21AuditedGuard(t)
	for _, p := range []identity.Permission{"secrets:read:team-a/db", "secrets:read:team-a/../team-b/db"} {
		d, err := g.Check(t.Context(), identity.Request{Permission: p})
		if errors.Is(err, identity.ErrAudit) || d.Allowed {
			t.Fatalf("%s: %+v, %v; want an audited deny", p, d, err)
		}
	}
	evs := rec.Events()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	for _, e := range evs {
		if e.Actor.ID != "unauthenticated" || e.Outcome != audit.OutcomeDeny {
			t.Errorf("event %+v; want a deny by unauthenticated", e)
		}
	}
}
