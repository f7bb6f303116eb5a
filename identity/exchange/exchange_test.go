package exchange_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

var td = spiffeid.RequireTrustDomainFromString("ci.test")

// idPrefix is the SPIFFE ID before the claim in the length cases.
const idPrefix = "spiffe://ci.test/r/"

func TestTemplate(t *testing.T) {
	t.Parallel()
	who := identity.Identity{Issuer: "https://i", Subject: "repo:octo-org/app:ref:refs/heads/main", Claims: identity.Claims{
		Platform: "github-actions", Repository: "octo-org/app", Ref: "refs/heads/main", Environment: "prod", Actor: "a+b",
	}}
	tests := []struct {
		name    string
		tmpl    string
		who     identity.Identity
		want    string
		wantErr error
	}{
		{name: "default", tmpl: exchange.DefaultTemplate, who: who, want: "spiffe://ci.test/ci/github-actions/octo-org/app"},
		{name: "single segments", tmpl: "/ci/{platform}/{environment}/{repository...}", who: who, want: "spiffe://ci.test/ci/github-actions/prod/octo-org/app"},
		{name: "slash in single segment", tmpl: "/ci/{repository}", who: who, wantErr: exchange.ErrClaimValue},
		{name: "invalid character never escaped", tmpl: "/actor/{actor}/{repository...}", who: who, wantErr: exchange.ErrClaimValue},
		{name: "empty claim", tmpl: "/job/{job}/{repository...}", who: who, wantErr: exchange.ErrClaimValue},
		{name: "dot-dot claim", tmpl: "/r/{repository...}", who: identity.Identity{Claims: identity.Claims{Repository: "a/../b"}}, wantErr: exchange.ErrClaimValue},
		{name: "rest not last", tmpl: "/{repository...}/x", wantErr: exchange.ErrTemplate},
		{name: "unknown claim", tmpl: "/{secret}/{repository...}", wantErr: exchange.ErrTemplate},
		{name: "relative", tmpl: "ci/{repository...}", wantErr: exchange.ErrTemplate},
		{name: "bad literal", tmpl: "/c i/{repository...}", wantErr: exchange.ErrTemplate},
		{name: "partial placeholder", tmpl: "/x-{platform}/{repository...}", wantErr: exchange.ErrTemplate},
		{name: "empty segment", tmpl: "/ci//{repository...}", wantErr: exchange.ErrTemplate},
		{name: "2048 bytes", tmpl: "/r/{repository...}", who: identity.Identity{Claims: identity.Claims{Repository: "a/" + strings.Repeat("b", svid.MaxIDLength-len(idPrefix)-2)}},
			want: idPrefix + "a/" + strings.Repeat("b", svid.MaxIDLength-len(idPrefix)-2)},
		{name: "2049 bytes", tmpl: "/r/{repository...}", who: identity.Identity{Claims: identity.Claims{Repository: "a/" + strings.Repeat("b", svid.MaxIDLength-len(idPrefix)-1)}},
			wantErr: svid.ErrIDTooLong},
		{name: "2049 bytes is a claim value error", tmpl: "/r/{repository}", who: identity.Identity{Claims: identity.Claims{Repository: strings.Repeat("b", svid.MaxIDLength-len(idPrefix)+1)}},
			wantErr: exchange.ErrClaimValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tm, err := exchange.ParseTemplate(tc.tmpl)
			if err != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ParseTemplate err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			id, err := tm.ID(td, tc.who)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ID err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && id.String() != tc.want {
				t.Fatalf("ID = %v, want %v", id, tc.want)
			}
		})
	}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	iss, v, ca, tm := exchangeParts(t, "/ci/{platform}/{repository...}", oidc.WithTTL(5*time.Minute))
	var events []audit.Event
	ex, err := exchange.New(v, ca, tm, exchange.WithMatcher(identity.MatchClaim("ref_protected", "true")),
		exchange.WithAudit(audit.SinkFunc(func(_ context.Context, e audit.Event) error { events = append(events, e); return nil })))
	if err != nil {
		t.Fatal(err)
	}
	protected := oidc.Job{Claims: identity.Claims{Platform: "ztci", Repository: "octo-org/app", Ref: "refs/heads/main", RefProtected: true}}
	tok, err := iss.Mint(ctx, protected, "spiffe://ci.test")
	if err != nil {
		t.Fatal(err)
	}
	x, err := ex.X509SVID(ctx, tok.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if x.ID.String() != "spiffe://ci.test/ci/ztci/octo-org/app" {
		t.Fatalf("SVID ID = %v", x.ID)
	}
	if x.Certificates[0].NotAfter.After(tok.Expiry()) {
		t.Fatalf("SVID outlives the token: %v > %v", x.Certificates[0].NotAfter, tok.Expiry())
	}
	j, err := ex.JWTSVID(ctx, tok.Reveal(), "vault")
	if err != nil || j.ID != x.ID {
		t.Fatalf("JWT-SVID = %v, %v", j, err)
	}

	unprotected := protected
	unprotected.Claims.RefProtected = false
	tok2, _ := iss.Mint(ctx, unprotected, "spiffe://ci.test")
	if _, err := ex.X509SVID(ctx, tok2.Reveal()); !errors.Is(err, exchange.ErrNotAdmitted) {
		t.Fatalf("unprotected ref: err = %v, want ErrNotAdmitted", err)
	}
	wrongAud, _ := iss.Mint(ctx, protected, "other")
	if _, err := ex.X509SVID(ctx, wrongAud.Reveal()); !errors.Is(err, oidc.ErrAudience) {
		t.Fatalf("wrong audience: err = %v, want oidc.ErrAudience", err)
	}
	if len(events) != 4 || events[0].Outcome != audit.OutcomeAllow || events[2].Outcome != audit.OutcomeDeny {
		t.Fatalf("audit events: %+v", events)
	}
}

// TestTemplateBindsStableIDs: a template that names the repository by its
// ids gives a repository recreated under a released name (repojacking: same
// repository claim, new ids) another SPIFFE ID than the original, and keeps
// the original's ID across a rename. The ids travel from the ztci issuer
// through the verifier to the template.
func TestTemplateBindsStableIDs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	iss, v, ca, tm := exchangeParts(t, "/ci/{platform}/{repository_owner_id}/{repository_id}")
	ex, err := exchange.New(v, ca, tm)
	if err != nil {
		t.Fatal(err)
	}
	idOf := func(c identity.Claims) (string, error) {
		tok, err := iss.Mint(ctx, oidc.Job{Claims: c}, "spiffe://ci.test")
		if err != nil {
			t.Fatal(err)
		}
		x, err := ex.X509SVID(ctx, tok.Reveal())
		if err != nil {
			return "", err
		}
		return x.ID.String(), nil
	}
	original := identity.Claims{Platform: "ztci", Repository: "octo-org/app", RepositoryID: "74", RepositoryOwnerID: "65"}
	renamed, resurrected := original, original
	renamed.Repository = "octo-corp/app"
	resurrected.RepositoryID, resurrected.RepositoryOwnerID = "9001", "9000"
	want := "spiffe://ci.test/ci/ztci/65/74"
	for _, c := range []identity.Claims{original, renamed} {
		if got, err := idOf(c); err != nil || got != want {
			t.Fatalf("%s: SPIFFE ID %q, %v; want %q", c.Repository, got, err, want)
		}
	}
	if got, err := idOf(resurrected); err != nil || got == want {
		t.Fatalf("recreated repository under the released name: SPIFFE ID %q, %v; want another than %q", got, err, want)
	}
	noIDs := original
	noIDs.RepositoryID, noIDs.RepositoryOwnerID = "", ""
	if _, err := idOf(noIDs); !errors.Is(err, exchange.ErrClaimValue) {
		t.Fatalf("token without ids: err = %v, want ErrClaimValue", err)
	}
}

// TestTemplateNamesTheRepository: an exchange mints for every repository
// whose tokens reach it (any GitHub workflow can ask for a token with any
// audience), so a template that does not name the repository lets every
// one of them obtain the same IDs, in a namespace whose other segments the
// token holder chooses ("/ci/{environment}": any repository declaring an
// environment "production" would get spiffe://td/ci/production). Such
// templates are refused.
func TestTemplateNamesTheRepository(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{"/ci/{environment}", "/ci/{platform}/{ref...}", "/job/{job}", "/ci/{repository_owner_id}/{environment}", "/fixed"} {
		if _, err := exchange.ParseTemplate(tmpl); !errors.Is(err, exchange.ErrTemplate) {
			t.Errorf("ParseTemplate(%q) = %v, want ErrTemplate", tmpl, err)
		}
	}
	for _, tmpl := range []string{exchange.DefaultTemplate, "/ci/{environment}/{repository...}", "/ci/{repository_id}/{environment}", "/ci/{sub}"} {
		if _, err := exchange.ParseTemplate(tmpl); err != nil {
			t.Errorf("ParseTemplate(%q) = %v", tmpl, err)
		}
	}
}

func FuzzTemplate(f *testing.F) {
	f.Add("/ci/{platform}/{repository...}", "octo-org/app", "refs/heads/main")
	f.Add("/{ref}", "a", "..")
	f.Add("/x/{repository...}", "a//b", "")
	f.Add("/{sub}/{environment}", "", "")
	f.Add("/ci/{repository_owner_id}/{repository_id}", "65", "74")
	f.Fuzz(func(t *testing.T, tmpl, repo, ref string) {
		tm, err := exchange.ParseTemplate(tmpl)
		if err != nil {
			if !errors.Is(err, exchange.ErrTemplate) {
				t.Fatalf("ParseTemplate error %v outside ErrTemplate", err)
			}
			return
		}
		who := identity.Identity{Subject: ref, Claims: identity.Claims{Platform: "p", Repository: repo, Ref: ref, Environment: repo,
			RepositoryID: ref, RepositoryOwnerID: repo}}
		id, err := tm.ID(td, who)
		if err != nil {
			if !errors.Is(err, exchange.ErrClaimValue) {
				t.Fatalf("ID error %v outside ErrClaimValue", err)
			}
			return
		}
		// Whatever the claims, the result is a valid SPIFFE ID in td that
		// go-spiffe parses back identically.
		back, err := spiffeid.FromString(id.String())
		if err != nil || back != id || id.TrustDomain() != td {
			t.Fatalf("template produced %q (%v)", id, err)
		}
	})
}

// exchangeParts returns what an exchange is made of: a token issuer for
// https://ci.test (with opts), a verifier of its tokens for the audience
// spiffe://ci.test, an SVID CA for td and the template src.
func exchangeParts(t *testing.T, src string, opts ...oidc.Option) (*oidc.Issuer, *oidc.Verifier, *svid.Issuer, *exchange.Template) {
	t.Helper()
	iss, err := oidc.NewIssuer("https://ci.test", opts...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier("https://ci.test", "spiffe://ci.test", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := exchange.ParseTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	return iss, v, ca, tm
}
