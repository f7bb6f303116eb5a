package identity

import (
	"slices"
	"strings"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
)

// Matcher reports whether an identity satisfies a condition. Matchers are
// plain functions so callers can write their own; [All] and [Any] combine
// them. A nil Matcher matches nothing.
type Matcher func(Identity) bool

// Match reports whether m matches id; a nil m matches nothing.
func (m Matcher) Match(id Identity) bool { return m != nil && !id.IsZero() && m(id) }

// MatchID matches the identity whose [Identity.ID] equals id exactly.
func MatchID(id string) Matcher {
	return func(x Identity) bool { return id != "" && x.ID() == id }
}

// MatchSPIFFEID matches identities whose SPIFFE ID satisfies m (for example
// spiffeid.MatchMemberOf(td)). OIDC identities never match, and a nil m
// matches nothing (rather than panicking inside a TLS handshake).
func MatchSPIFFEID(m spiffeid.Matcher) Matcher {
	return func(x Identity) bool { return m != nil && !x.SPIFFEID.IsZero() && m(x.SPIFFEID) == nil }
}

// MatchIssuer matches OIDC identities from the given issuer.
func MatchIssuer(issuer string) Matcher {
	return func(x Identity) bool { return issuer != "" && x.Issuer == issuer }
}

// MatchClaim matches when the normalized claim name (see [Claims.Get]) equals
// value exactly. An empty value never matches: absence is not a wildcard.
// A claim names something within its platform only: the normalized claims
// of every platform share these names, a GitLab project or Buildkite
// pipeline may be called "octo-org/app" by whoever registers that
// namespace there, and GitHub's and GitLab's numeric ids overlap. Combine
// it with [MatchIssuer] when identities of more than one issuer reach the
// matcher.
func MatchClaim(name, value string) Matcher {
	return func(x Identity) bool { return value != "" && x.Claims.Get(name) == value }
}

// MatchClaimPrefix matches when the claim is non-empty and starts with
// prefix. An empty prefix never matches: like an empty value for
// [MatchClaim], it is a condition left unset, not a wildcard. The prefix
// stops at no boundary: MatchClaimPrefix("repository", "octo-org") also
// matches "octo-org-evil/app", an organisation anyone may register (the
// mistake of cloud trust policies written "repo:octo-org*"). End a
// repository or owner prefix with "/" ("octo-org/"), or bind the
// platform's immutable ids (repository_owner_id) with [MatchClaim].
func MatchClaimPrefix(name, prefix string) Matcher {
	return func(x Identity) bool {
		v := x.Claims.Get(name)
		return prefix != "" && v != "" && strings.HasPrefix(v, prefix)
	}
}

// MatchClaimGlob matches when the claim is non-empty and matches pattern,
// where '*' stands for any run of characters, '/' included (the semantics of
// Vault's glob bound claims). Every other character matches itself.
func MatchClaimGlob(name, pattern string) Matcher {
	return func(x Identity) bool {
		v := x.Claims.Get(name)
		return v != "" && Glob(pattern, v)
	}
}

// All matches when every matcher matches. All() with no matchers matches
// nothing: an empty condition must not grant access.
func All(ms ...Matcher) Matcher {
	ms = slices.Clone(ms) // the caller's slice may change later
	return func(x Identity) bool {
		if len(ms) == 0 {
			return false
		}
		for _, m := range ms {
			if !m.Match(x) {
				return false
			}
		}
		return true
	}
}

// Any matches when at least one matcher matches.
func Any(ms ...Matcher) Matcher {
	ms = slices.Clone(ms) // the caller's slice may change later
	return func(x Identity) bool {
		for _, m := range ms {
			if m.Match(x) {
				return true
			}
		}
		return false
	}
}

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none and including '/'), and every other character
// matches itself. It runs in O(len(pattern)·len(s)) time in the worst case
// and does not allocate.
func Glob(pattern, s string) bool {
	// Iterative wildcard matching with single backtrack point.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
