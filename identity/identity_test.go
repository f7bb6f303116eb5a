package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
)

var job = identity.Identity{
	Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:octo-org/app:environment:prod",
	Claims: identity.Claims{Platform: "github-actions", Repository: "octo-org/app", Ref: "refs/heads/main", RefProtected: true, Environment: "prod"},
}

func TestClaimsGetAgreesWithMap(t *testing.T) {
	t.Parallel()
	m := job.Claims.Map()
	for _, name := range identity.ClaimNames() {
		if got := job.Claims.Get(name); got != m[name] {
			t.Errorf("Get(%q) = %q, Map has %q", name, got, m[name])
		}
	}
	if job.Claims.Get("nonexistent") != "" {
		t.Error("unknown claim name returned a value")
	}
}

func TestMatchers(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	workload := identity.Identity{SPIFFEID: spiffeid.RequireFromPath(td, "/job/build")}
	tests := []struct {
		name string
		m    identity.Matcher
		who  identity.Identity
		want bool
	}{
		{name: "exact claim", m: identity.MatchClaim("repository", "octo-org/app"), who: job, want: true},
		{name: "exact claim is not prefix", m: identity.MatchClaim("repository", "octo-org/ap"), who: job},
		{name: "empty value never matches", m: identity.MatchClaim("actor", ""), who: job},
		{name: "prefix", m: identity.MatchClaimPrefix("ref", "refs/heads/"), who: job, want: true},
		{name: "glob across slash", m: identity.MatchClaimGlob("repository", "octo-*"), who: job, want: true},
		{name: "glob anchored", m: identity.MatchClaimGlob("repository", "*-org"), who: job},
		{name: "bool claim", m: identity.MatchClaim("ref_protected", "true"), who: job, want: true},
		{name: "ID", m: identity.MatchID(job.ID()), who: job, want: true},
		{name: "issuer", m: identity.MatchIssuer(job.Issuer), who: job, want: true},
		{name: "SPIFFE member", m: identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td)), who: workload, want: true},
		{name: "SPIFFE matcher ignores OIDC", m: identity.MatchSPIFFEID(spiffeid.MatchAny()), who: job},
		{name: "all", m: identity.All(identity.MatchIssuer(job.Issuer), identity.MatchClaim("environment", "prod")), who: job, want: true},
		{name: "all one fails", m: identity.All(identity.MatchIssuer(job.Issuer), identity.MatchClaim("environment", "dev")), who: job},
		{name: "all of none", m: identity.All(), who: job},
		{name: "any", m: identity.Any(identity.MatchClaim("environment", "dev"), identity.MatchClaim("environment", "prod")), who: job, want: true},
		{name: "any of none", m: identity.Any(), who: job},
		{name: "nil inside all", m: identity.All(nil), who: job},
		{name: "zero identity", m: identity.MatchClaimGlob("repository", "*"), who: identity.Identity{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.m.Match(tc.who); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
	var nilMatcher identity.Matcher
	if nilMatcher.Match(job) {
		t.Error("nil matcher matched")
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"*", "", true}, {"*", "a/b", true}, {"a*c", "abbbc", true}, {"a*c", "abbbd", false},
		{"a**b", "ab", true}, {"refs/heads/*", "refs/heads/x/y", true}, {"refs/heads/*", "refs/tags/x", false},
		{"?", "?", true}, {"?", "a", false}, {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tc := range tests {
		if got := identity.Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	if _, ok := identity.FromContext(t.Context()); ok {
		t.Fatal("identity in empty context")
	}
	got, ok := identity.FromContext(identity.NewContext(t.Context(), job))
	if !ok || got != job {
		t.Fatalf("FromContext = %v, %v", got, ok)
	}
	if _, ok := identity.FromContext(identity.NewContext(t.Context(), identity.Identity{})); ok {
		t.Fatal("zero identity reported as authenticated")
	}
}

type recorder struct{ events []audit.Event }

func (r *recorder) Write(_ context.Context, e audit.Event) error {
	r.events = append(r.events, e)
	return nil
}

func TestGuard(t *testing.T) {
	t.Parallel()
	human := identity.Identity{Issuer: "https://sso.example", Subject: "alice"}
	grants := []identity.Grant{
		{Name: "app-deploys-prod", To: identity.All(identity.MatchClaim("repository", "octo-org/app"), identity.MatchClaim("ref_protected", "true")),
			Permissions: []string{"deploy:prod", "secrets:read:app-*"}},
		{Name: "alice-approves", To: identity.MatchID(human.ID()), Permissions: []string{"approve:*"}},
	}
	rec := &recorder{}
	g, err := identity.NewGuard(grants, identity.WithAudit(rec), identity.WithRequirement("approve:*", identity.RequireAMR("mfa")))
	if err != nil {
		t.Fatal(err)
	}
	unprotected := job
	unprotected.Claims.RefProtected = false
	tests := []struct {
		name    string
		req     identity.Request
		allowed bool
		wantErr error
	}{
		{name: "granted deploy", req: identity.Request{Who: job, Permission: identity.Deploy("prod")}, allowed: true},
		{name: "granted secret by glob", req: identity.Request{Who: job, Permission: identity.SecretsRead("app-db")}, allowed: true},
		{name: "other secret denied", req: identity.Request{Who: job, Permission: identity.SecretsRead("billing-db")}},
		{name: "unprotected ref denied", req: identity.Request{Who: unprotected, Permission: identity.Deploy("prod")}},
		{name: "push not granted", req: identity.Request{Who: job, Permission: identity.ArtifactsPush("ghcr.io/octo-org/app")}},
		{name: "nobody denied", req: identity.Request{Permission: identity.Deploy("prod")}},
		{name: "approval with mfa", req: identity.Request{Who: human, Permission: identity.Approve("prod"), AMR: []string{"pwd", "mfa"}}, allowed: true},
		{name: "approval without mfa", req: identity.Request{Who: human, Permission: identity.Approve("prod"), AMR: []string{"pwd"}}},
		{name: "wildcard request refused", req: identity.Request{Who: job, Permission: "deploy:*"}, wantErr: identity.ErrInvalidPermission},
		{name: "malformed request refused", req: identity.Request{Who: job, Permission: "deploy"}, wantErr: identity.ErrInvalidPermission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := g.Check(t.Context(), tc.req)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if d.Allowed != tc.allowed {
				t.Fatalf("decision = %+v, want allowed=%v", d, tc.allowed)
			}
		})
	}
	if len(rec.events) != len(tests) {
		t.Fatalf("%d audit events, want one per request, refused ones too (%d)", len(rec.events), len(tests))
	}
	if e := rec.events[0]; e.Action != "identity.permission.check" || e.Outcome != audit.OutcomeAllow || e.Resource != "deploy:prod" || e.Actor.ID != job.ID() {
		t.Fatalf("first event = %+v", e)
	}
}

func TestGuardFailsClosed(t *testing.T) {
	t.Parallel()
	boom := errors.New("sink down")
	g, err := identity.NewGuard([]identity.Grant{{Name: "all", To: identity.MatchID(job.ID()), Permissions: []string{"deploy:*"}}},
		identity.WithAudit(audit.SinkFunc(func(context.Context, audit.Event) error { return boom })))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Check(t.Context(), identity.Request{Who: job, Permission: identity.Deploy("prod")})
	if !errors.Is(err, identity.ErrAudit) || !errors.Is(err, boom) || d.Allowed {
		t.Fatalf("Check with failing audit = %+v, %v; want deny with ErrAudit", d, err)
	}
	for _, bad := range [][]identity.Grant{
		{{Name: "star", To: identity.MatchID("x"), Permissions: []string{"*"}}},
		{{Name: "star-kind", To: identity.MatchID("x"), Permissions: []string{"*:read:x"}}},
		{{Name: "no matcher", Permissions: []string{"deploy:prod"}}},
		{{To: identity.MatchID("x"), Permissions: []string{"deploy:prod"}}},
	} {
		if _, err := identity.NewGuard(bad); !errors.Is(err, identity.ErrConfig) {
			t.Errorf("NewGuard(%+v) err = %v, want ErrConfig", bad[0].Name, err)
		}
	}
}

// TestSPIFFEIDVectors runs go-spiffe's 801 SPIFFE ID and trust domain cases
// through identity's paths: an Identity decoded from JSON (how identities
// travel between ztci components) accepts exactly the valid IDs, and the
// embedded SVID issuer issues, for every valid ID with a path, an
// X.509-SVID that go-spiffe parses back to the same ID (and refuses IDs
// without a path, which the X509-SVID spec forbids for leaves).
func TestSPIFFEIDVectors(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/go-spiffe/spiffeid_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			API        string  `json:"api"`
			Input      string  `json:"input"`
			Valid      bool    `json:"valid"`
			ExpectPath *string `json:"expect_path"` // absent in the generated byte-loop cases
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) != 801 {
		t.Fatalf("%d cases, want 801", len(file.Cases))
	}
	issuers := map[spiffeid.TrustDomain]*svid.Issuer{}
	issuerFor := func(td spiffeid.TrustDomain) *svid.Issuer {
		if iss, ok := issuers[td]; ok {
			return iss
		}
		iss, err := svid.NewIssuer(td, svid.WithX509TTL(time.Minute))
		if err != nil {
			// A valid trust domain that Go's crypto/x509 cannot carry in a URI
			// SAN ("trustdomain." with its trailing dot) is refused up front.
			var ue *svid.URIError
			if !errors.As(err, &ue) {
				t.Fatalf("NewIssuer(%q): %v", td, err)
			}
			t.Logf("NewIssuer(%q) refused: %v", td, err)
		}
		issuers[td] = iss
		return iss
	}
	for _, c := range file.Cases {
		switch c.API {
		case "ParseID":
			var who identity.Identity
			in, _ := json.Marshal(map[string]string{"spiffe_id": c.Input})
			err := json.Unmarshal(in, &who)
			if c.Input == "" {
				// An empty spiffe_id decodes to "no SPIFFE ID" (the zero value), never to an identity.
				if err == nil && !who.IsZero() {
					t.Errorf("empty input decoded to %v", who.ID())
				}
				continue
			}
			if (err == nil) != c.Valid {
				t.Errorf("ParseID %q: err = %v, want valid=%v", c.Input, err, c.Valid)
				continue
			}
			if !c.Valid {
				continue
			}
			if c.ExpectPath != nil && who.SPIFFEID.Path() != *c.ExpectPath || who.ID() != c.Input {
				t.Errorf("ParseID %q: path %q, ID %q", c.Input, who.SPIFFEID.Path(), who.ID())
			}
			iss := issuerFor(who.SPIFFEID.TrustDomain())
			if iss == nil {
				continue
			}
			s, err := iss.X509SVID(t.Context(), who.SPIFFEID, time.Time{})
			if who.SPIFFEID.Path() == "" {
				if !errors.Is(err, svid.ErrID) {
					t.Errorf("issued an SVID for the trust domain ID %q: %v", c.Input, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("X509SVID(%q): %v", c.Input, err)
				continue
			}
			certs, key, err := s.MarshalRaw()
			if err != nil {
				t.Fatal(err)
			}
			back, err := x509svid.ParseRaw(certs, key)
			if err != nil || back.ID != who.SPIFFEID {
				t.Errorf("go-spiffe parsed our SVID for %q as %v, %v", c.Input, back, err)
			}
		case "ParseTrustDomain":
			td, err := spiffeid.TrustDomainFromString(c.Input)
			if (err == nil) != c.Valid {
				t.Errorf("ParseTrustDomain %q: err = %v, want valid=%v", c.Input, err, c.Valid)
				continue
			}
			if c.Valid {
				issuerFor(td)
			}
		default:
			t.Fatalf("unknown api %q", c.API)
		}
	}
}

// TestGuardRefusesInvisiblePermissions: permissions are matched byte for
// byte and often built from caller input (identity.Deploy(env)). A request with a
// Unicode space, an invisible (format) character or invalid UTF-8 would
// match a "deploy:*" grant while escaping the requirement registered for
// "deploy:production"; such requests, and such grant patterns, are
// malformed.
func TestGuardRefusesInvisiblePermissions(t *testing.T) {
	t.Parallel()
	g, err := identity.NewGuard([]identity.Grant{{Name: "deployers", To: identity.MatchIssuer("https://ci.example"), Permissions: []string{"deploy:*"}}},
		identity.WithRequirement("deploy:production", identity.RequireAMR("mfa")))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app"}
	if d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Deploy("production")}); err != nil || d.Allowed {
		t.Fatalf("control: %+v, %v; want a deny by the requirement", d, err)
	}
	for _, env := range []string{"production\u200b", "production\u00a0", "production\u3000", "prod\u202euction", "production\u2028", "production\xff", "production\ufeff"} {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Deploy(env)})
		if !errors.Is(err, identity.ErrInvalidPermission) || d.Allowed {
			t.Errorf("identity.Deploy(%q) = %+v, %v; want identity.ErrInvalidPermission", env, d, err)
		}
	}
	if _, err := identity.NewGuard([]identity.Grant{{Name: "g", To: identity.MatchIssuer("x"), Permissions: []string{"deploy:prod\u200b*"}}}); !errors.Is(err, identity.ErrInvalidPermission) {
		t.Errorf("grant pattern with an invisible character: %v", err)
	}
	// Letters outside ASCII are allowed, but meet every requirement of
	// their resource (see TestReview20RequirementSpellings).
	if d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Deploy("staging-é")}); err != nil || d.Allowed || !strings.Contains(d.Reason, "requirement") {
		t.Errorf("non-ASCII letters: %+v, %v; want refused by the requirement, not as malformed", d, err)
	}
}

// A requirement on "deploy:production" holds for every spelling of that
// name in case (GitHub compares environment names without case), while a
// grant of "deploy:*" admits them all: "deploy:PRODUCTION" must not skip
// it.
func TestGuardRequirementsIgnoreCase(t *testing.T) {
	t.Parallel()
	g, err := identity.NewGuard([]identity.Grant{{Name: "deployers", To: identity.MatchIssuer("https://ci.example"), Permissions: []string{"deploy:*"}}},
		identity.WithRequirement("deploy:Production", identity.RequireAMR("mfa")))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app"}
	for _, env := range []string{"production", "PRODUCTION", "Production", "pRoDuCtIoN"} {
		if d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Deploy(env)}); err != nil || d.Allowed {
			t.Errorf("deploy:%s = %+v, %v; want a deny by the requirement", env, d, err)
		}
	}
	if d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Deploy("staging")}); err != nil || !d.Allowed {
		t.Errorf("deploy:staging = %+v, %v; want an allow", d, err)
	}
}

// TestGuardBindsRepositoryIDs: a grant that binds the repository's id
// refuses a job of a repository recreated under a released name (same
// repository claim, new ids), which a grant on the name alone admits.
func TestGuardBindsRepositoryIDs(t *testing.T) {
	t.Parallel()
	original := identity.Identity{Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:octo-org/app:ref:refs/heads/main",
		Claims: identity.Claims{Platform: "github-actions", Repository: "octo-org/app", RepositoryID: "74", RepositoryOwnerID: "65", Ref: "refs/heads/main"}}
	resurrected := original
	resurrected.Claims.RepositoryID, resurrected.Claims.RepositoryOwnerID = "9001", "9000"
	g, err := identity.NewGuard([]identity.Grant{{
		Name: "app-deploy",
		To: identity.All(identity.MatchClaim("repository", "octo-org/app"),
			identity.MatchClaim("repository_owner_id", "65"), identity.MatchClaim("repository_id", "74")),
		Permissions: []string{"deploy:production"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who  identity.Identity
		want bool
	}{{original, true}, {resurrected, false}} {
		d, err := g.Check(t.Context(), identity.Request{Who: tc.who, Permission: identity.Deploy("production")})
		if err != nil || d.Allowed != tc.want {
			t.Fatalf("repository ids %s/%s: allowed = %v (%v), want %v", tc.who.Claims.RepositoryOwnerID, tc.who.Claims.RepositoryID, d.Allowed, err, tc.want)
		}
	}
	if m := original.Claims.Map(); m["repository_id"] != "74" || m["repository_owner_id"] != "65" {
		t.Fatalf("Map = %v", m)
	}
}
