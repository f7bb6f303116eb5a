package attest

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/slsasource"
)

// ErrJobProvenance: [JobProvenance] was given an identity or build context
// it cannot state provenance for.
var ErrJobProvenance = errors.New("attest: cannot build provenance for this job")

// Build is what a runner knows about a build that the job's identity does
// not say: which build platform ran it, how, from which source location and
// when. The facts a job could lie about (repository, ref, commit, workflow,
// run) are not here: [JobProvenance] takes them from the verified identity.
type Build struct {
	// BuilderID identifies the build platform (the runner fleet and its
	// trust boundary), e.g. "https://ci.example/runners/hosted@v1". Required.
	BuilderID string
	// BuildType is the URI of the build's parameter schema. Required.
	BuildType string
	// SourceURI locates the repository, e.g. "git+https://git.example/acme/app".
	// It, BuilderID and BuildType must be UTF-8 without control, line or
	// bidirectional formatting characters, as the claims stated beside
	// them; SourceURI without white space either.
	// Required: an identity names a repository ("acme/app"), not its host.
	// Its path must end with the identity's repository (a ".git" suffix
	// allowed), and it may carry no user information (an ssh user name
	// aside), query or fragment: it is published in the signed provenance.
	// Its path may not hold '@', where verifiers end the repository.
	SourceURI string
	// Parameters are further external parameters. They may not use the
	// keys JobProvenance sets from the identity ("source", "workflow",
	// "ref", "trigger"), in any case ("Source", "ſource"): readers
	// that match names case-insensitively would take them for those.
	Parameters map[string]any
	// Dependencies are the artifacts the build fetched, after the source,
	// which JobProvenance states from the identity: a dependency naming
	// the source repository (as verify compares repositories, or as a
	// reader that percent-decodes, cleans the path and drops a default
	// port reads it) is refused.
	Dependencies []ResourceDescriptor
	// StartedOn and FinishedOn bound the run; zero values are left out.
	StartedOn, FinishedOn time.Time
}

// identityParameters are the external parameters JobProvenance fills from
// the verified identity; a caller's Parameters may not replace them.
var identityParameters = []string{"source", "workflow", "ref", "trigger"}

// JobProvenance returns the SLSA v1 provenance of a build run by the job
// whose verified identity is id. The source (SourceURI@ref and its commit),
// the workflow, the trigger and the invocation id are taken from the
// identity's claims, so a build step cannot state a source it was not
// started from; b supplies what only the runner knows. The identity must
// name its repository, which b.SourceURI must locate, and a ref without
// '@' (verifiers split the source "<uri>@<ref>" at an '@', not all at the
// same one). A claim it states (repository, ref, workflow, trigger, run)
// may hold no control, line-separator or bidirectional formatting
// character and must be UTF-8: the provenance would display, or encode,
// another value than the token's. The source "<uri>@<ref>" must pass
// oidc.CheckURIPath: no dot segment (also percent-encoded), empty segment
// or encoded '/' or '\', which would name another repository to a
// verifier that cleans the path. The ref may hold no '%' either: a
// verifier decoding the source URI would read "refs/heads/%6Dain" as
// refs/heads/main.
// The result is validated.
func JobProvenance(id identity.Identity, b Build) (*Provenance, error) {
	c := id.Claims
	switch {
	case id.IsZero():
		return nil, fmt.Errorf("%w: no verified identity", ErrJobProvenance)
	case c.Repository == "" || c.Ref == "" || c.Commit == "":
		return nil, fmt.Errorf("%w: the identity names no repository, ref or commit", ErrJobProvenance)
	case b.BuilderID == "" || b.BuildType == "" || b.SourceURI == "":
		return nil, fmt.Errorf("%w: builder id, build type and source URI are required", ErrJobProvenance)
	}
	for _, f := range []struct{ name, v string }{
		{"repository", c.Repository}, {"ref", c.Ref}, {"workflow_ref", c.WorkflowRef}, {"workflow", c.Workflow},
		{"event", c.Event}, {"run_id", c.RunID}, {"run_attempt", c.RunAttempt},
	} {
		if !plainText(f.v) {
			return nil, fmt.Errorf("%w: claim %s %q holds a control character, a line or bidirectional formatting character, or is not UTF-8", ErrJobProvenance, f.name, clip.String(f.v, 80))
		}
	}
	// The source is written "<uri>@<ref>" and verifiers split it at an
	// '@': verify at the first after the host, others at the last, which
	// reads a ref holding '@' (a legal branch name, "evil@refs/heads/main")
	// back as another ref. Refuse it rather than state a source some
	// verifier misreads.
	if strings.ContainsAny(c.Ref, "@ ") || strings.ContainsFunc(c.Ref, isControl) {
		return nil, fmt.Errorf("%w: ref %q cannot be stated unambiguously in a source URI (it holds '@', a space or a control character)", ErrJobProvenance, c.Ref)
	}
	// The runner's text is stated beside the claims, and read as the
	// platform's: held to the same rule, so that a builder id or source
	// location displays and encodes as what was checked (a source URI
	// with a bidi override shows another repository; bytes that are not
	// UTF-8 are signed as U+FFFD). A space in the source URI ends it for
	// readers that split on white space. Not quoted: the URI may hold a
	// credential.
	for _, f := range []struct{ name, v string }{{"builder id", b.BuilderID}, {"build type", b.BuildType}, {"source URI", b.SourceURI}} {
		if !plainText(f.v) || f.name == "source URI" && strings.ContainsFunc(f.v, unicode.IsSpace) {
			return nil, fmt.Errorf("%w: the %s holds a control, space, line or bidirectional formatting character, or is not UTF-8", ErrJobProvenance, f.name)
		}
	}
	if err := checkSourceURI(b.SourceURI, c.Repository); err != nil {
		return nil, err
	}
	// Some verifiers compare the source as written, others clean its path:
	// a branch "%2e%2e/%2e%2e/%2e%2e/victim/app" (git refuses ".." in a
	// ref, not '%'), or a source URI with dot segments, names another
	// repository to the latter. Not quoted: the URI may hold a credential.
	if err := oidc.CheckURIPath(b.SourceURI + "@" + c.Ref); err != nil {
		return nil, fmt.Errorf("%w: the source %w", ErrJobProvenance, err)
	}
	// Git allows '%' in a branch name, and a verifier that reads the
	// source with a URI parser (url.Parse(...).Path, a WHATWG parser)
	// decodes it: the branch "%6Dain" reads back as refs/heads/main,
	// "x%40refs/tags/v1" as a tag to one that splits at the last '@'.
	// Refused rather than encoded, so the ref stated is the claim's.
	if strings.Contains(c.Ref, "%") {
		return nil, fmt.Errorf("%w: ref %s holds '%%', which a verifier decoding the source URI reads as another ref", ErrJobProvenance, clip.Quote(c.Ref, 80))
	}
	if err := checkDependencies(b.Dependencies, b.SourceURI); err != nil {
		return nil, err
	}
	commit := DigestSet{"gitCommit": c.Commit}
	if err := commit.Validate(); err != nil {
		return nil, fmt.Errorf("%w: commit %q: %w", ErrJobProvenance, c.Commit, err)
	}
	params := make(map[string]any, len(b.Parameters)+len(identityParameters))
	// Equal under case folding, not only exactly: encoding/json readers
	// (slsa-verifier's among them) match member names case-insensitively,
	// with Unicode simple folding, and keep the last, and the encoder sorts
	// "ſource" (long s) after "source" and "worKflow" (Kelvin
	// sign) after "workflow". Such a reader would take the caller's value
	// for the identity's; "Workflow" or "Trigger" would stand in for an
	// identity that has none.
	for k := range b.Parameters {
		for _, id := range identityParameters {
			if strings.EqualFold(k, id) {
				return nil, fmt.Errorf("%w: parameter %q comes from the identity, not the caller", ErrJobProvenance, id)
			}
		}
	}
	maps.Copy(params, b.Parameters)
	source := b.SourceURI + "@" + c.Ref
	params["source"] = map[string]any{"uri": source, "digest": map[string]any{"gitCommit": c.Commit}}
	params["ref"] = c.Ref
	if c.WorkflowRef != "" {
		params["workflow"] = c.WorkflowRef
	} else if c.Workflow != "" {
		params["workflow"] = c.Workflow
	}
	if c.Event != "" {
		params["trigger"] = c.Event
	}
	deps := append([]ResourceDescriptor{{URI: source, Digest: commit}}, b.Dependencies...)
	p := &Provenance{
		BuildDefinition: BuildDefinition{BuildType: b.BuildType, ExternalParameters: params, ResolvedDependencies: deps},
		RunDetails:      RunDetails{Builder: Builder{ID: b.BuilderID}, Metadata: runMetadata(c, b)},
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJobProvenance, err)
	}
	return p, nil
}

// checkSourceURI checks that uri locates the identity's repository: the
// repository a job ran in is a fact of its verified identity, so the
// runner's source location may add the host but not name another
// repository. It also keeps credentials, queries and fragments out of the
// signed provenance.
func checkSourceURI(uri, repository string) error {
	// Errors do not quote uri: a mistaken one may hold a credential.
	u, err := url.Parse(strings.TrimPrefix(uri, "git+"))
	switch {
	case err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%w: the source URI is not an absolute URL with a host", ErrJobProvenance)
	case u.User != nil && (u.Scheme != "ssh" || func() bool { _, ok := u.User.Password(); return ok }()):
		// https://TOKEN@host/… is how tokens ride in clone URLs; only an
		// ssh user name ("git@") is not a credential.
		return fmt.Errorf("%w: the source URI carries user information (a credential?)", ErrJobProvenance)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(uri, "?#"):
		return fmt.Errorf("%w: the source URI has a query or fragment", ErrJobProvenance)
	}
	// The source is stated "<uri>@<ref>", and verifiers split it at an
	// '@' (verify at the first after the host): an '@' in the path would
	// end the repository there. "https://git.example/victim/app@x/acme/app"
	// ends with the identity's acme/app, yet reads back as the repository
	// victim/app. The decoded path is checked, so "%40" is refused too.
	if strings.Contains(u.Path, "@") {
		return fmt.Errorf("%w: the source URI's path holds '@', where verifiers end the repository", ErrJobProvenance)
	}
	path := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
	if !strings.HasSuffix(path, "/"+strings.Trim(repository, "/")) {
		return fmt.Errorf("%w: source URI path %q does not end with the identity's repository %q", ErrJobProvenance, u.Path, repository)
	}
	return nil
}

// checkDependencies refuses a caller's dependency that names the source
// repository: JobProvenance states the source, from the identity, as the
// first resolved dependency, and a second entry for that repository (at
// another commit or ref, say) would be read as the source by a reader
// that looks the repository up among the dependencies rather than at
// index 0. Repositories compare as verify compares them (slsasource's
// NormalizeRepo), the host without case and without an ssh user name, and
// as a reader that normalises URLs compares them (slsasource's
// MayNameSource: "…/%61cme/app", "…/acme/./app", ":443", and a URL on the
// source's host that does not parse).
func checkDependencies(deps []ResourceDescriptor, sourceURI string) error {
	src := repoKey(sourceURI)
	for i, d := range deps {
		if d.URI == "" {
			continue
		}
		r, _ := slsasource.SplitGitURI(d.URI)
		if strings.EqualFold(repoKey(r), src) || slsasource.MayNameSource(sourceURI, d.URI) {
			return fmt.Errorf("%w: dependency %d names the source repository, which comes from the identity", ErrJobProvenance, i)
		}
	}
	return nil
}

// repoKey is uri's repository as NormalizeRepo reads it, without user
// information before the host.
func repoKey(uri string) string {
	n := slsasource.NormalizeRepo(uri)
	host, path, _ := strings.Cut(n, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	return host + "/" + path
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// plainText reports whether a claim may be stated in the provenance as it
// is: valid UTF-8 (encoding/json would write U+FFFD, a ref that is not the
// token's) without control characters (C0, DEL, C1), the Unicode line and
// paragraph separators or bidirectional formatting characters. A newline
// makes a second line that looks like another field; a bidi override (a
// branch git accepts, "refs/heads/\u202Eniam") displays as
// "refs/heads/main" to the person reading the provenance (the Trojan
// Source display, CVE-2021-42574), as attest/ca refuses it in certificates.
func plainText(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
	})
}

func runMetadata(c identity.Claims, b Build) *BuildMetadata {
	m := &BuildMetadata{InvocationID: c.RunID}
	if c.RunID != "" && c.RunAttempt != "" {
		m.InvocationID = c.RunID + "/" + c.RunAttempt
	}
	if !b.StartedOn.IsZero() {
		t := b.StartedOn
		m.StartedOn = &t
	}
	if !b.FinishedOn.IsZero() {
		t := b.FinishedOn
		m.FinishedOn = &t
	}
	if *m == (BuildMetadata{}) {
		return nil
	}
	return m
}
