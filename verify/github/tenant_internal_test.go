package github

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
)

// FuzzPolicyHost: whatever Host a caller gives, a policy that compiles is
// about github.com or about exactly one lowercase ghe.com tenant, and every
// URI and issuer it derives is on that host: no other domain, path, port,
// user info or non-ASCII character gets into a URL or regexp.
func FuzzPolicyHost(f *testing.F) {
	for _, s := range []string{"", "github.com", "GitHub.com", "octo.ghe.com", "Octo.GHE.com", "a.octo.ghe.com", "octo.ghe.com.", "octo.ghe.com/x", "-a.ghe.com", "\u212a.ghe.com", "ghe.com", "x.ghe.co"} {
		f.Add(s)
	}
	valid := regexp.MustCompile(`^(github\.com|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.ghe\.com)$`)
	f.Fuzz(func(t *testing.T, h string) {
		p := Policy{Host: h, Repo: "o/r"}
		c, err := p.compile()
		if err != nil {
			return
		}
		host, tenant, ok := p.host()
		if !ok || !valid.MatchString(host) || (tenant == "") != (host == defaultHost) {
			t.Fatalf("Host %q compiled to host %q tenant %q", h, host, tenant)
		}
		if c.tenant != tenant {
			t.Fatalf("compiled tenant %q, host() %q", c.tenant, tenant)
		}
		for _, fc := range c.folded {
			if !strings.HasPrefix(fc.want, "https://"+host+"/") {
				t.Fatalf("Host %q: %s wants %q", h, fc.field, fc.want)
			}
		}
		id := c.expect.Signer.(verify.Identity)
		issuer := GitHubOIDCIssuer
		if tenant != "" {
			issuer = TenantOIDCIssuer(tenant)
		}
		if id.IssuerRegexp != "(?i:"+regexp.QuoteMeta(issuer)+")" || !strings.HasPrefix(id.SANRegexp, "(?i:"+regexp.QuoteMeta("https://"+host+"/")) {
			t.Fatalf("Host %q: issuer %q SAN %q", h, id.IssuerRegexp, id.SANRegexp)
		}
	})
}
