package exchange

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/clip"
)

// Errors.
var (
	// ErrTemplate: the SPIFFE ID template is malformed.
	ErrTemplate = errors.New("exchange: invalid SPIFFE ID template")
	// ErrClaimValue: a claim the template needs is empty or contains
	// characters a SPIFFE ID path may not hold. Values are never escaped
	// (escaping would let two different claims map to one ID).
	ErrClaimValue = errors.New("exchange: claim cannot be placed in a SPIFFE ID")
)

// ClaimValueError reports the claim that could not be placed.
type ClaimValueError struct {
	Claim string
	Value string
}

// Error quotes Value in ASCII, clipped: it is the token holder's text (a
// branch, environment or workflow name of up to the token's size), and
// the error reaches logs and the audit event's reason.
func (e *ClaimValueError) Error() string {
	return fmt.Sprintf("%v: %s=%s (want non-empty [A-Za-z0-9._-] segments, not . or ..)", ErrClaimValue, e.Claim,
		strconv.QuoteToASCII(clip.String(e.Value, maxQuotedValue)))
}

// maxQuotedValue bounds the bytes of a claim value an error quotes.
const maxQuotedValue = 128

func (e *ClaimValueError) Unwrap() error { return ErrClaimValue }

// Template derives a SPIFFE ID path from an identity's claims.
//
// Syntax: a path of '/'-separated segments, the first a literal other
// than "spire" (the exchange's namespace in the trust domain: register no
// other workload under it). A segment is either literal
// (characters [A-Za-z0-9._-]) or a whole-segment placeholder:
//
//   - {name} is replaced by the claim as exactly one segment; a value with
//     '/' is refused.
//   - {name...} is replaced by the claim as one or more segments ('/'
//     kept); it may only be the last segment, so the result parses
//     unambiguously, and only for repository, ref and sub, whose '/' the
//     platform writes: an environment, workflow or job name is the
//     pipeline author's, and "production/x" would name an ID below
//     .../production/.
//
// A template must name the repository ({repository}, {repository...},
// {repository_id} or {sub}): the exchange mints for every repository whose
// token its verifier accepts, and without it they would all share one set
// of IDs whose other segments the pipeline's author chooses.
//
// Names are the normalized claim names of [identity.Claims.Get]
// (platform, repository, repository_id, repository_owner_id, ref,
// environment, ...) and "sub" for the token subject, but not the flags
// ref_protected and environment_protected: match those with
// [WithMatcher]. Names can be
// re-registered by someone else after a rename; the ids cannot. Example:
// "/ci/{platform}/{environment}/{repository...}" gives
// spiffe://td/ci/github-actions/prod/octo-org/octo-repo.
type Template struct {
	src   string
	parts []part
}

type part struct {
	literal string
	claim   string
	rest    bool
}

// DefaultTemplate names a job by platform and repository name. A
// repository recreated under a released name gets the same ID; name the
// ids ("/ci/{platform}/{repository_owner_id}/{repository_id}") where that
// matters.
const DefaultTemplate = "/ci/{platform}/{repository...}"

// ParseTemplate parses a template.
func ParseTemplate(s string) (*Template, error) {
	if !strings.HasPrefix(s, "/") || len(s) > 1024 {
		return nil, fmt.Errorf("%w: %q must start with '/' and be at most 1024 bytes", ErrTemplate, s)
	}
	t := &Template{src: s}
	segs := strings.Split(s[1:], "/")
	names := append(identity.ClaimNames(), "sub")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name, ok = strings.CutSuffix(name, "}")
			if !ok {
				return nil, fmt.Errorf("%w: %q: segment %q: unclosed placeholder", ErrTemplate, s, seg)
			}
			p := part{claim: name}
			if n, ok := strings.CutSuffix(name, "..."); ok {
				if i != len(segs)-1 {
					return nil, fmt.Errorf("%w: %q: {%s} must be the last segment", ErrTemplate, s, name)
				}
				p = part{claim: n, rest: true}
				if !slices.Contains(multiSegmentClaims, n) {
					return nil, fmt.Errorf("%w: %q: {%s...}: only %v may span segments; the others' '/' is the pipeline author's, and \"production/x\" would name an ID under .../production/", ErrTemplate, s, n, multiSegmentClaims)
				}
			}
			if !slices.Contains(names, p.claim) || slices.Contains(flagClaims, p.claim) {
				return nil, fmt.Errorf("%w: %q: unknown claim %q", ErrTemplate, s, p.claim)
			}
			t.parts = append(t.parts, p)
			continue
		}
		if !validSegment(seg) {
			return nil, fmt.Errorf("%w: %q: literal segment %q", ErrTemplate, s, seg)
		}
		t.parts = append(t.parts, part{literal: seg})
	}
	// The exchange's IDs live under a namespace the deployer names, never
	// at the top of the trust domain: from "/{repository...}" whoever
	// registers the GitLab group "payments" (or "spire" with subgroups
	// "agent/k8s_psat/<cluster>") would get another workload's ID.
	if ns := t.parts[0]; ns.claim != "" || ns.literal == spireNamespace {
		return nil, fmt.Errorf("%w: %q must start with a literal segment of the exchange's own (not %q): its IDs would be named from the top of the trust domain by whoever registers an account or repository", ErrTemplate, s, spireNamespace)
	}
	if !slices.ContainsFunc(t.parts, func(p part) bool { return slices.Contains(repositoryClaims, p.claim) }) {
		return nil, fmt.Errorf("%w: %q names no repository (one of %v): every repository whose tokens reach the exchange would get the same IDs", ErrTemplate, s, repositoryClaims)
	}
	return t, nil
}

// spireNamespace is the first path segment SPIRE reserves for its servers'
// and agents' IDs (spiffe://td/spire/agent/...); a SPIRE server trusts an
// agent's ID to fetch other workloads' SVIDs.
const spireNamespace = "spire"

// flagClaims are the boolean claims, refused as placeholders: their value
// is "true" or empty, a condition to match (identity.MatchClaim), not a
// name; a segment "true" names nothing (which ref, which environment), and
// an unprotected job's empty value is no segment at all.
var flagClaims = []string{"ref_protected", "environment_protected"}

// multiSegmentClaims are the only claims a {name...} placeholder may
// place: those whose '/' the platform or the token issuer writes
// (repository: owner/name, GitLab's group/subgroup/project; ref:
// refs/heads/<branch>, in git's own hierarchy of ref names; sub, as the
// issuer spells it). Any other claim's '/' is whoever writes the pipeline's:
// a job of the same repository naming the environment (or workflow, job)
// "production/x" would get an ID below .../production/, which a prefix
// check meant for production's ID accepts.
var multiSegmentClaims = []string{"repository", "ref", "sub"}

// repositoryClaims are the placeholders that tell repositories apart; a
// template must hold one of them. An exchange mints for whatever repository
// its verifier accepts a token from, and the other claims (environment,
// ref, job, ...) are chosen by whoever writes the pipeline.
var repositoryClaims = []string{"repository", "repository_id", "sub"}

// namespace is the path of the template's leading literal segments
// ("/ci" of "/ci/{platform}/{repository...}"): every ID it gives lies
// within it. ParseTemplate requires the first segment to be literal.
func (t *Template) namespace() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.claim != "" {
			break
		}
		b.WriteByte('/')
		b.WriteString(p.literal)
	}
	return b.String()
}

// String returns the template source.
func (t *Template) String() string { return t.src }

// ID returns the SPIFFE ID in td for who. An ID longer than the SPIFFE
// specification's 2048 bytes is refused with an error wrapping both
// [ErrClaimValue] and svid.ErrIDTooLong.
func (t *Template) ID(td spiffeid.TrustDomain, who identity.Identity) (spiffeid.ID, error) {
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteByte('/')
		if p.claim == "" {
			b.WriteString(p.literal)
			continue
		}
		v := who.Claims.Get(p.claim)
		if p.claim == "sub" {
			v = who.Subject
		}
		ok := validSegment(v)
		if p.rest {
			ok = v != ""
			for seg := range strings.SplitSeq(v, "/") {
				ok = ok && validSegment(seg)
			}
		}
		if !ok {
			return spiffeid.ID{}, &ClaimValueError{Claim: p.claim, Value: v}
		}
		b.WriteString(v)
	}
	id, err := spiffeid.FromPath(td, b.String())
	if err != nil {
		return spiffeid.ID{}, fmt.Errorf("%w: %v", ErrClaimValue, err)
	}
	if err := svid.CheckIDLength(id); err != nil {
		return spiffeid.ID{}, fmt.Errorf("%w: %w", ErrClaimValue, err)
	}
	return id, nil
}

func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
