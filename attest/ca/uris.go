package ca

import (
	"encoding/asn1"
	"fmt"
	"net/url"
	"strings"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/asciifold"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/origin"
)

// More Fulcio extension OIDs (URI-typed, https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
var (
	OIDSourceRepositoryOwnerURI = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 16}
	OIDRunInvocationURI         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 21}
)

// Platforms with Fulcio templates of their own (identity/claims names).
const (
	platformGitHubActions = "github-actions"
	platformGitLabCI      = "gitlab-ci"
	platformZTCI          = "ztci"
)

// gitHubActionsIssuer is github.com's token issuer; Fulcio's default "url"
// for it is https://github.com.
const gitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// WithServerURL names the source forge (e.g. "https://git.example.com")
// whose URLs the URI-typed extensions of identities issued by issuer are
// built on: Fulcio's "url" template value for that issuer's CI provider.
// Without it: https://github.com for GitHub Actions' issuer, the host of a
// GitHub Enterprise issuer (https://HOST/_services/token), and otherwise
// the issuer URL itself (GitLab's issuer is its instance URL). serverURL
// must be an absolute https URL without trailing slash (http only on
// loopback). May be given once per issuer.
func WithServerURL(issuer, serverURL string) Option {
	return func(c *config) error {
		if err := checkServerURL(serverURL); err != nil {
			return fmt.Errorf("WithServerURL(%q): %w", issuer, err)
		}
		if c.servers == nil {
			c.servers = map[string]string{}
		}
		if _, dup := c.servers[issuer]; dup {
			return fmt.Errorf("WithServerURL: issuer %q given twice", issuer)
		}
		c.servers[issuer] = serverURL
		return nil
	}
}

func checkServerURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("want an absolute URL without user info, query or fragment, got %q", s)
	case strings.HasSuffix(s, "/"):
		return fmt.Errorf("want no trailing slash, got %q", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && origin.Loopback(u):
		return nil
	}
	return fmt.Errorf("want https (http only on loopback), got %q", s)
}

// WithSubjectDomain lets issuer's tokens certify URI subjects on domain
// ("https://git.example.com": scheme and host only, https, or http on
// loopback). [CA.Issue] certifies a URI subject only when its scheme and
// host are exactly domain's, and refuses every URI subject of an issuer
// without a domain ([ErrSubjectDomain]): otherwise any issuer the
// Authenticator accepts could have the CA name any URI, a workflow on
// someone else's forge among them. SPIFFE IDs and email subjects are not
// affected. May be given once per issuer.
//
// This is Fulcio's rule for issuers of type "uri" (pkg/identity/uri
// principal.go: the subject's scheme and hostname must equal those of the
// issuer's configured SubjectDomain; pkg/config validateConfig: "uri
// issuer must have SubjectDomain set"), with the port compared too: another
// port on the same host may be another service. Fulcio's further check
// that the domain shares the issuer's registrable domain is not made: a
// vendor's job-token issuer names workflows on the forge, which lives
// elsewhere; configuring the domain is the vendor's statement that the
// issuer speaks for it.
func WithSubjectDomain(issuer, domain string) Option {
	return func(c *config) error {
		if issuer == "" {
			return fmt.Errorf("WithSubjectDomain(%q, %q): empty issuer", issuer, domain)
		}
		if err := checkServerURL(domain); err != nil {
			return fmt.Errorf("WithSubjectDomain(%q): %w", issuer, err)
		}
		u, _ := url.Parse(domain) // checkServerURL parsed it
		if u.Path != "" {
			return fmt.Errorf("WithSubjectDomain(%q): want scheme and host only, got %q", issuer, domain)
		}
		if c.domains == nil {
			c.domains = map[string]*url.URL{}
		}
		if _, dup := c.domains[issuer]; dup {
			return fmt.Errorf("WithSubjectDomain: issuer %q given twice", issuer)
		}
		c.domains[issuer] = u
		return nil
	}
}

// inSubjectDomain refuses a URI subject whose scheme and host are not
// domain's, or any when domain is nil (see [WithSubjectDomain]). An opaque
// URI ("repo:acme/app:ref:…") has no host, so it is never in a domain.
func inSubjectDomain(subject, domain *url.URL) error {
	if domain == nil {
		return fmt.Errorf("%w: no subject domain is configured for the issuer (ca.WithSubjectDomain), so it certifies no URI subject", ErrSubjectDomain)
	}
	// Hosts compare without ASCII case, as DNS names do (only ASCII: the
	// Kelvin sign is not "k" to DNS, though strings.EqualFold says it
	// is; such a subject is refused before this too). User info is refused
	// too: "https://evil.example@example.com/…" is on the domain but reads,
	// to a person, as another host.
	if subject.Scheme != domain.Scheme || !asciifold.Equal(subject.Host, domain.Host) || subject.User != nil {
		// Redacted: a password in the user info is a credential by URL
		// convention, and this message reaches the log and the client.
		return fmt.Errorf("%w: subject %q is not on %s://%s", ErrSubjectDomain, clip.String(subject.Redacted(), 80), domain.Scheme, domain.Host)
	}
	return nil
}

// serverURL returns the forge URL for id's URI extensions, or "" if there
// is none (then they are omitted rather than written as non-URIs).
func (c *CA) serverURL(id identity.Identity) string {
	if s, ok := c.servers[id.Issuer]; ok {
		return s
	}
	if id.Issuer == gitHubActionsIssuer {
		return "https://github.com"
	}
	if id.Claims.Platform == platformGitHubActions {
		if host, ok := strings.CutSuffix(id.Issuer, "/_services/token"); ok && checkServerURL(host) == nil {
			return host
		}
	}
	if checkServerURL(id.Issuer) == nil {
		return id.Issuer
	}
	return ""
}

// uriExtensions renders the URI-typed Fulcio extensions as Fulcio's
// ci-provider templates do (config/identity/config.yaml): for GitLab CI
// the gitlab templates, for everything else the github ones, with base as
// "url". The run invocation follows github.com for GitHub Actions, GitLab's
// job URL for GitLab CI, and "{url}/{repository}/runs/{run_id}/attempts/
// {run_attempt}" for ztci job tokens (the Fulcio ci-provider configuration
// ztci's identity/oidc issuer is tested against); it is omitted for other
// platforms, whose URL scheme this CA does not know.
func uriExtensions(base string, cl identity.Claims) []struct {
	oid asn1.ObjectIdentifier
	v   string
} {
	type ext = struct {
		oid asn1.ObjectIdentifier
		v   string
	}
	// join builds a URL from parts, or "" if any part is missing: an
	// extension is omitted rather than written incomplete.
	join := func(parts ...string) string {
		for _, p := range parts {
			if p == "" {
				return ""
			}
		}
		return strings.Join(parts, "/")
	}
	repo := cl.Repository
	var repoURI, signer, owner, run string
	if u, err := url.Parse(repo); err == nil && u.Scheme != "" && u.Host != "" {
		// Already a URL (e.g. Codefresh's scm_repo_url): Fulcio copies it.
		repoURI, repo = repo, ""
	} else {
		repoURI = join(base, repo)
	}
	switch cl.Platform {
	case platformGitLabCI:
		// ci_config_ref_uri already names the host: "https://{{ .ci_config_ref_uri }}".
		if cl.WorkflowRef != "" {
			signer = "https://" + cl.WorkflowRef
		}
		if i := strings.LastIndexByte(repo, '/'); i > 0 {
			owner = join(base, repo[:i]) // namespace_path: nested groups included
		}
		run = join(base, repo, "-", "jobs", cl.Job)
	default:
		signer = join(base, cl.WorkflowRef)
		if o, _, ok := strings.Cut(repo, "/"); ok {
			owner = join(base, o) // repository_owner
		}
		switch cl.Platform {
		case platformGitHubActions:
			run = join(base, repo, "actions", "runs", cl.RunID, "attempts", cl.RunAttempt)
		case platformZTCI:
			run = join(base, repo, "runs", cl.RunID, "attempts", cl.RunAttempt)
		}
	}
	return []ext{
		{OIDBuildSignerURI, signer},
		{OIDSourceRepositoryURI, repoURI},
		{OIDSourceRepositoryOwnerURI, owner},
		{OIDRunInvocationURI, run},
	}
}

// checkURIPath refuses a URI whose path readers resolve differently
// (oidc.CheckURIPath: a dot segment, also percent-encoded, an empty
// segment, an encoded '/' or '\', a '?' or '#'), stricter than Fulcio, which certifies
// what the token states. With configRef, the "//" GitLab writes between
// the project and the CI config path of ci_config_ref_uri
// ("https://{host}/{project}//{path}@{ref}") is read as the separator it
// is, once, and only after a project path.
func checkURIPath(v string, configRef bool) error {
	if scheme, rest, ok := strings.Cut(v, "://"); ok && configRef {
		if project, file, ok := strings.Cut(rest, "//"); ok && strings.Contains(project, "/") {
			v = scheme + "://" + project + "/" + file
		}
	}
	return oidc.CheckURIPath(v)
}

// gitLabConfigRef reports whether v is GitLab's ci_config_ref_uri as
// Fulcio writes it into the SAN and the Build Signer URI.
func gitLabConfigRef(v string, cl identity.Claims) bool {
	return cl.Platform == platformGitLabCI && cl.WorkflowRef != "" && v == "https://"+cl.WorkflowRef
}
