package github

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/asciifold"
	"github.com/ztci/ztci/verify"
)

// GitHubOIDCIssuer is the OIDC issuer of GitHub Actions tokens on
// github.com, the default of Policy.OIDCIssuer (gh's --cert-oidc-issuer).
const GitHubOIDCIssuer = "https://token.actions.githubusercontent.com"

// GitHubHostedRunner is the value of the Fulcio RunnerEnvironment extension
// (OID 1.3.6.1.4.1.57264.1.11) for a job on a GitHub-hosted runner; a
// self-hosted runner gets "self-hosted".
const GitHubHostedRunner = "github-hosted"

// defaultHost is the GitHub host the owner, repositories and workflows of a
// Policy live on unless Policy.Host names a GitHub Enterprise Cloud tenant.
const defaultHost = "github.com"

// tenancyDomain is the domain of GitHub Enterprise Cloud with data
// residency: a tenant's host is <tenant>.ghe.com (cli/cli
// internal/ghinstance: tenancyHost).
const tenancyDomain = "ghe.com"

// TenantOIDCIssuer returns the OIDC issuer of GitHub Actions tokens on the
// GitHub Enterprise Cloud tenant of that name (host <tenant>.ghe.com):
// https://token.actions.<tenant>.ghe.com, the default of Policy.OIDCIssuer
// when Policy.Host names the tenant (cli/cli
// pkg/cmd/attestation/verification: GitHubTenantOIDCIssuer). It does not
// check the name; Policy does.
func TenantOIDCIssuer(tenant string) string {
	return "https://token.actions." + tenant + "." + tenancyDomain
}

// Policy is what `gh attestation verify` checks about who made an
// attestation, one field per flag. Owner or Repo is required; everything
// else narrows the policy further. Each field maps onto the Fulcio
// certificate the bundle carries, as gh maps it (cli/cli
// pkg/cmd/attestation/verify/policy.go newEnforcementCriteria and
// pkg/cmd/attestation/verification/extensions.go verifyCertExtensions).
// Every "https://github.com/" below is "https://<tenant>.ghe.com/" when Host
// names a tenant:
//
//   - Host (--hostname): "" or "github.com", or a GitHub Enterprise Cloud
//     tenant with data residency, "<tenant>.ghe.com" (tenant: a DNS label,
//     letters, digits and inner hyphens; ASCII case is folded). For a
//     tenant, the default OIDCIssuer is TenantOIDCIssuer(tenant)
//     (https://token.actions.<tenant>.ghe.com), the tenant's trusted root
//     is required (WithGitHubRoot: tenants have their own Fulcio and TSA,
//     under their own trust domain) and the public-good instance is not
//     trusted (New). GitHub Enterprise Server hosts are refused, as gh
//     refuses them.
//   - Owner (--owner): SourceRepositoryOwnerURI (1.3.6.1.4.1.57264.1.16)
//     must be https://github.com/<owner>, ASCII case-insensitively.
//   - Repo (--repo, "owner/name"): SourceRepositoryURI (…1.12) must be
//     https://github.com/<owner/name>, and the owner is taken from it.
//   - The certificate's SAN (the signing workflow, …1.9 BuildSignerURI
//     written as a URI SAN) must start with https://github.com/<repo>/, or
//     https://github.com/<owner>/ when only Owner is set: by default the
//     signer is a workflow of the source repository (or organisation).
//   - SignerRepo (--signer-repo, "owner/name") replaces that default: the
//     SAN must start with https://github.com/<owner/name>/ (a reusable
//     workflow of another repository).
//   - SignerWorkflow (--signer-workflow, "[host/]owner/repo/path/to/workflow.yml[@ref]")
//     replaces it too: the SAN must be exactly that workflow followed by
//     "@refs/…" or "@<commit>", or, when the value pins a ref, exactly the
//     value (gh's signerWorkflowSANPattern, case-sensitive).
//   - SourceRef (--source-ref): SourceRepositoryRef (…1.14), for example
//     "refs/heads/main". Compared exactly (see below).
//   - SourceDigest (--source-digest): SourceRepositoryDigest (…1.13), the
//     commit; SignerDigest (--signer-digest): BuildSignerDigest (…1.10), the
//     signing workflow's commit. ASCII case-insensitive, as hex is.
//   - DenySelfHostedRunners (--deny-self-hosted-runners): RunnerEnvironment
//     (…1.11) must be exactly "github-hosted".
//   - OIDCIssuer (--cert-oidc-issuer): the Issuer extension (…1.8) must
//     equal it, ASCII case-insensitively; default GitHubOIDCIssuer, or
//     TenantOIDCIssuer for a tenant Host. An enterprise with a custom
//     issuer sets its own
//     ("https://token.actions.githubusercontent.com/<enterprise>"). With a
//     tenant Host, GitHubOIDCIssuer itself is refused as a contradiction
//     (gh silently replaces it by the tenant's issuer, because its flag
//     cannot tell that value from its default).
//   - PredicateType (--predicate-type): the signed in-toto statement's
//     predicate type, exactly; default SLSA provenance v1.
//   - RepositoryID and OwnerID (no gh flag): the certificate's
//     SourceRepositoryIdentifier (…1.15) and SourceRepositoryOwnerIdentifier
//     (…1.17), GitHub's numeric ids, exactly. Names can be taken again: a
//     deleted or renamed owner's name registered by someone else, and a
//     repository created under it, satisfy Owner and Repo; the ids of the
//     original cannot be (repojacking). Decimal digits only.
//
// Besides the OIDCIssuer case above, two deliberate differences from gh,
// both stricter: gh compares with strings.EqualFold and (?i) regexps, which
// fold Unicode (the Kelvin sign matches "k"); here only ASCII letters fold,
// and a certificate value that is not ASCII never matches a folded
// comparison. And gh compares the source ref case-insensitively, although
// git refs are case-sensitive and "refs/heads/Main" is another branch than
// "refs/heads/main" (one that a branch protection rule on main does not
// cover): here the ref must match exactly.
type Policy struct {
	Host                  string
	Owner                 string
	Repo                  string
	SignerRepo            string
	SignerWorkflow        string
	SourceRef             string
	SourceDigest          string
	SignerDigest          string
	PredicateType         string
	OIDCIssuer            string
	DenySelfHostedRunners bool
	RepositoryID          string
	OwnerID               string
}

// namePattern is what this package accepts as a GitHub owner or repository
// name: GitHub allows letters, digits, '-', '_' and '.'. Anything else (a
// '/', whitespace, a regexp metacharacter) is a mistake to report, not a
// name to quote.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// numericID is a GitHub repository or owner id as certificates carry it.
var numericID = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)

// hostPattern is gh's hostRegex: a --signer-workflow value that starts like
// "host.tld" names its host; otherwise the policy's host is prepended.
var hostPattern = regexp.MustCompile(`^[a-zA-Z0-9-]+\.[a-zA-Z0-9-]+.*$`)

// signerWorkflowRefPattern is gh's: the "@<ref>" ending a workflow SAN is
// either a refs/ path or a bare commit id, which a workflow file name (it
// must end in .yml or .yaml and cannot hold '/') can never be.
const signerWorkflowRefPattern = `@(refs/.*|[0-9a-fA-F]+)`

var signerWorkflowHasRef = regexp.MustCompile(signerWorkflowRefPattern + `$`)

// tenantPattern is a ghe.com tenant name: one DNS label (RFC 1123: letters,
// digits and hyphens, no hyphen at either end, at most 63 characters). The
// name is spliced into URLs and regexps, so anything else (a dot, which
// would name another domain, a '/', '@' or ':', a regexp metacharacter,
// non-ASCII that could fold into ASCII) is refused rather than quoted.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// compiled is a Policy turned into verify's expectation plus the checks
// verify's exact Claims cannot express (ASCII case-insensitive ones).
type compiled struct {
	expect verify.Expectation
	folded []foldCheck // checked on the verified certificate, in order
	tenant string      // the ghe.com tenant, "" for github.com
}

// host returns the policy's host (lowercase) and, for a ghe.com tenant,
// the tenant name; ok is false for anything else.
func (p Policy) host() (host, tenant string, ok bool) {
	if p.Host == "" || asciifold.Equal(p.Host, defaultHost) {
		return defaultHost, "", true
	}
	// Lowercase only once the name is known to be ASCII letters, digits,
	// hyphens and the one suffix: no Unicode case mapping is involved.
	name, found := cutSuffixFold(p.Host, "."+tenancyDomain)
	if !found || !tenantPattern.MatchString(name) {
		return "", "", false
	}
	tenant = strings.ToLower(name)
	return tenant + "." + tenancyDomain, tenant, true
}

// cutSuffixFold is strings.CutSuffix with the suffix matched ASCII
// case-insensitively.
func cutSuffixFold(s, suffix string) (string, bool) {
	if !asciifold.HasSuffix(s, suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

// foldCheck is one ASCII case-insensitive comparison of a Claims field.
type foldCheck struct {
	field string // Claims JSON name, as verify's IdentityMismatchError uses
	want  string
	got   func(*verify.Claims) string
}

func (p Policy) compile() (compiled, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: github policy: "+format, append([]any{verify.ErrInvalidExpectation}, a...)...)
	}
	host, tenant, ok := p.host()
	if !ok {
		return compiled{}, bad("Host %q: want github.com or a GitHub Enterprise Cloud tenant <tenant>.ghe.com, the tenant a DNS label (letters, digits, inner hyphens)", p.Host)
	}
	if (p.Owner == "") == (p.Repo == "") {
		return compiled{}, bad("exactly one of Owner and Repo is required (gh: --owner or --repo)")
	}
	owner := p.Owner
	if p.Repo != "" {
		o, ok := splitRepo(p.Repo)
		if !ok {
			return compiled{}, bad("Repo %q: want owner/name", p.Repo)
		}
		owner = o
	} else if !namePattern.MatchString(owner) {
		return compiled{}, bad("Owner %q is not a GitHub owner name", owner)
	}
	if p.SignerRepo != "" && p.SignerWorkflow != "" {
		return compiled{}, bad("SignerRepo and SignerWorkflow are mutually exclusive")
	}
	for _, f := range [][2]string{{"SourceRef", p.SourceRef}, {"SourceDigest", p.SourceDigest}, {"SignerDigest", p.SignerDigest}, {"OIDCIssuer", p.OIDCIssuer}, {"SignerWorkflow", p.SignerWorkflow}, {"PredicateType", p.PredicateType}} {
		if strings.ContainsFunc(f[1], func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return compiled{}, bad("%s %q holds whitespace or a control character", f[0], f[1])
		}
	}

	base := "https://" + host + "/"
	var san string
	switch {
	case p.SignerRepo != "":
		if _, ok := splitRepo(p.SignerRepo); !ok {
			return compiled{}, bad("SignerRepo %q: want owner/name", p.SignerRepo)
		}
		san = foldPrefix(base + p.SignerRepo + "/")
	case p.SignerWorkflow != "":
		san = signerWorkflowSAN(p.SignerWorkflow, host)
	case p.Repo != "":
		san = foldPrefix(base + p.Repo + "/")
	default:
		san = foldPrefix(base + owner + "/")
	}
	issuer := p.OIDCIssuer
	switch {
	case issuer == "" && tenant != "":
		issuer = TenantOIDCIssuer(tenant)
	case issuer == "":
		issuer = GitHubOIDCIssuer
	case tenant != "" && asciifold.Equal(issuer, GitHubOIDCIssuer):
		return compiled{}, bad("OIDCIssuer %q is github.com's, but Host %q is a ghe.com tenant, whose tokens come from %q: leave OIDCIssuer empty for the tenant's", issuer, p.Host, TenantOIDCIssuer(tenant))
	}
	id := verify.Identity{
		SANRegexp: san,
		// Exact up to ASCII case (gh: strings.EqualFold); the ASCII check
		// on the certificate's value is in Verifier.check.
		IssuerRegexp: "(?i:" + regexp.QuoteMeta(issuer) + ")",
		Claims:       verify.Claims{SourceRepositoryRef: p.SourceRef},
	}
	if p.DenySelfHostedRunners {
		id.Claims.RunnerEnvironment = GitHubHostedRunner
	}
	for _, f := range [][2]string{{"RepositoryID", p.RepositoryID}, {"OwnerID", p.OwnerID}} {
		if f[1] != "" && !numericID.MatchString(f[1]) {
			return compiled{}, bad("%s %q is not a GitHub numeric id (decimal digits)", f[0], f[1])
		}
	}
	id.Claims.SourceRepositoryIdentifier = p.RepositoryID
	id.Claims.SourceRepositoryOwnerIdentifier = p.OwnerID
	pt := p.PredicateType
	if pt == "" {
		pt = attest.PredicateSLSAProvenanceV1
	}
	c := compiled{expect: verify.Expectation{Signer: id, PredicateType: pt}, tenant: tenant}
	c.folded = append(c.folded, foldCheck{"sourceRepositoryOwnerURI", base + owner,
		func(c *verify.Claims) string { return c.SourceRepositoryOwnerURI }})
	if p.Repo != "" {
		c.folded = append(c.folded, foldCheck{"sourceRepositoryURI", base + p.Repo,
			func(c *verify.Claims) string { return c.SourceRepositoryURI }})
	}
	if p.SignerDigest != "" {
		c.folded = append(c.folded, foldCheck{"buildSignerDigest", p.SignerDigest,
			func(c *verify.Claims) string { return c.BuildSignerDigest }})
	}
	if p.SourceDigest != "" {
		c.folded = append(c.folded, foldCheck{"sourceRepositoryDigest", p.SourceDigest,
			func(c *verify.Claims) string { return c.SourceRepositoryDigest }})
	}
	return c, nil
}

// splitRepo checks "owner/name" and returns the owner.
func splitRepo(s string) (owner string, ok bool) {
	o, n, found := strings.Cut(s, "/")
	if !found || !namePattern.MatchString(o) || !namePattern.MatchString(n) {
		return "", false
	}
	return o, true
}

// foldPrefix is gh's expandToGitHubURLRegex: the SAN must start with
// prefix, ASCII case-insensitively ((?i) on an ASCII pattern; a non-ASCII
// SAN, which Unicode folding could match, is refused separately). verify
// anchors the regexp at both ends, hence the trailing "anything".
func foldPrefix(prefix string) string {
	return "(?i:" + regexp.QuoteMeta(prefix) + ")(?s:.*)"
}

// signerWorkflowSAN is gh's validateSignerWorkflow + signerWorkflowSANPattern:
// the policy's host is prepended unless the value names one, and the SAN must be the
// workflow URL followed by an optional "@ref", or exactly the URL when the
// value already pins a ref (so that a branch named "main@refs/heads/x"
// cannot follow a pinned ref). Case-sensitive, as in gh.
func signerWorkflowSAN(workflow, host string) string {
	u := "https://" + workflow
	if !hostPattern.MatchString(workflow) {
		u = "https://" + host + "/" + workflow
	}
	pattern := regexp.QuoteMeta(u)
	if signerWorkflowHasRef.MatchString(u) {
		return pattern
	}
	return pattern + "(" + signerWorkflowRefPattern + ")?"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
