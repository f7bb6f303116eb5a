package identity_test

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
)

func review21Guard(t testing.TB) (*identity.Guard, identity.Identity) {
	t.Helper()
	who := identity.Identity{Issuer: "https://ci.example", Subject: "job"}
	g, err := identity.NewGuard([]identity.Grant{{Name: "team-a", To: identity.MatchIssuer(who.Issuer),
		Permissions: []string{"secrets:read:team-a/*", "secrets:read:*-public", "deploy:staging-*"}}})
	if err != nil {
		t.Fatal(err)
	}
	return g, who
}

// TestReview21GuardRefusesAliasedNames: a grant's '*' crosses '/', and
// whether ".." resolves was left to the store, so "secrets:read:team-a/*"
// released "team-a/../team-b/db", which Vault, a file store and a URL path
// all read as team-b's secret. Every spelling a store may resolve to
// another name is now refused (ErrInvalidPermission), not matched: dot
// and empty segments (also between ':'), percent-encoding, backslashes,
// URL path terminators, glob characters, and punctuation outside ASCII
// that NFKC or a Windows best-fit code page reads as a dot or separator.
func TestReview21GuardRefusesAliasedNames(t *testing.T) {
	t.Parallel()
	g, who := review21Guard(t)
	for _, p := range []string{
		"secrets:read:team-a/../team-b/db", "secrets:read:team-a/x/../../team-b/db",
		"secrets:read:team-a/./db", "secrets:read:team-a//db", "secrets:read:team-a/db/",
		"secrets:read:team-a/...", "secrets:read:team-a/x:../team-b",
		"secrets:read:team-a/%2e%2e/team-b/db", "secrets:read:team-a/..%2fteam-b%2fdb",
		`secrets:read:team-a/..\team-b\db`, "secrets:read:team-a/x#/../../team-b",
		"secrets:read:prod-db#-public", "secrets:read:prod-db?-public", "secrets:read:prod-db;-public",
		"secrets:read:team-a/{x,y}", "secrets:read:team-a/[ab]",
		"secrets:read:team-a/．．/team-b/db", "secrets:read:team-a/‥/team-b/db",
		"secrets:read:team-a/x／..／team-b", "secrets:read:team-a/..＼team-b",
		"secrets:read:team-a/..∕team-b", "secrets:read:team-a/..¥team-b",
		"secrets:read:prod-db＃-public", "secrets:read:team-a/％2e％2e",
		"deploy:staging-/../production", "deploy:staging-x/..",
	} {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Permission(p)})
		if !errors.Is(err, identity.ErrInvalidPermission) || d.Allowed {
			t.Errorf("%q: %+v, %v; want refused with ErrInvalidPermission", p, d, err)
		}
	}
	// '*' still crosses '/' (documented), and names outside ASCII made of
	// letters and marks are still names.
	for _, p := range []string{
		"secrets:read:team-a/db", "secrets:read:team-a/sub/db", "secrets:read:team-a/db.v2",
		"secrets:read:team-a/.env-file", "secrets:read:team-a/équipe", "secrets:read:billing-db-public",
		"deploy:staging-eu:zone-1",
	} {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Permission(p)})
		if err != nil || !d.Allowed {
			t.Errorf("%q: %+v, %v; want allowed", p, d, err)
		}
	}
}

// FuzzReview21GuardStaysInScope: whatever a request a "team-a/*" grant
// allows, the name resolves (path.Clean, after the separators and
// escapes a store may honour) to a name under team-a/, and holds no
// character a store reads as a terminator.
func FuzzReview21GuardStaysInScope(f *testing.F) {
	for _, s := range []string{"db", "sub/db", "../team-b/db", "./db", "x//y", "%2e%2e/x", `..\x`, "．．/x", "x#y", "é/db"} {
		f.Add(s)
	}
	g, who := review21Guard(f)
	f.Fuzz(func(t *testing.T, name string) {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.SecretsRead("team-a/" + name)})
		if err != nil || !d.Allowed {
			return
		}
		read := strings.NewReplacer(`\`, "/", ":", "/").Replace("team-a/" + name)
		if strings.ContainsAny(name, "%#?;") || !strings.HasPrefix(path.Clean("/"+read), "/team-a/") || path.Clean("/"+read) != "/"+read {
			t.Errorf("allowed %q, which a store may read as %q", name, path.Clean("/"+read))
		}
	})
}
