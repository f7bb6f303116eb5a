package audit

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CompromiseChecker reports whether an identity (by its stable ID, see
// [Actor]) has been marked compromised, e.g. by a kill switch fed from a
// runtime-security detector. Components that hand out privileges (secrets,
// policy gates) consult it and deny a compromised identity.
//
// A component that knows the actor, not only its ID, asks with
// [ActorCompromised], which also consults the marks of the actor's
// repository and of the repository's owner ([MarkIDs]).
//
// Compromised must be safe for concurrent use and fast: it sits on the path of
// every decision.
type CompromiseChecker interface {
	Compromised(id string) bool
}

// Prefixes of the mark ids that name a repository, or the owner of
// repositories, rather than one identity ([MarkIDs]). A mark id is the
// prefix, the platform ([Actor].Claims "platform", e.g. "github-actions"),
// a slash, and the claim's value: "repository:github-actions/acme/app",
// "repository_id:github-actions/123456", or
// "repository_owner_id:github-actions/7890" for every repository of one
// organisation; claims naming no platform give "repository:/acme/app". A
// repository's name can change (its owner renames it), its id cannot:
// mark the id to stop a repository whose admin is the attacker.
//
// A mark id with one of these prefixes is compared without regard to case
// ([CanonicalMarkID]): GitHub's and GitLab's repository and owner names (and
// platform names) are case-insensitive, a token carries the platform's
// current spelling ("acme/app") and an operator types another
// ("Acme/App"), and a kill switch is a deny-list, so a case mismatch let
// the repository's jobs through. [MarkIDs] returns these ids folded, and
// the kill switches ([KillSwitch], natskill's Switch) fold the ids they
// mark, clear and check, so an operator may type any case. A
// [CompromiseChecker] of another make must store the ids it is given
// through CanonicalMarkID. Ids without these prefixes (SPIFFE IDs,
// "<issuer>#<subject>", key ids) are compared byte for byte, as before.
const (
	MarkRepository        = "repository:"
	MarkRepositoryID      = "repository_id:"
	MarkRepositoryOwnerID = "repository_owner_id:"
)

// markClaims are the claims [MarkIDs] turns into mark ids, with their
// prefixes.
var markClaims = [...]struct{ claim, prefix string }{
	{"repository", MarkRepository},
	{"repository_id", MarkRepositoryID},
	{"repository_owner_id", MarkRepositoryOwnerID},
}

// CanonicalMarkID returns id as kill switches store and compare it: an id
// beginning with [MarkRepository], [MarkRepositoryID] or
// [MarkRepositoryOwnerID] has everything after the prefix (the platform
// and the name or number) folded to lower case, each character mapped to
// the lower case of its upper case, so that characters Unicode folds
// together ('K', 'k' and the Kelvin sign) fold to one, after
// percent-encoding is decoded, and with trailing slashes and, in a
// numeric id, a '+' sign and leading zeros dropped
// ("repository_id:GitHub-Actions/0042/" is "repository_id:github-actions/42");
// any other id, and
// an id that is not valid UTF-8, is returned unchanged. It is the one
// normalisation of mark ids: [MarkIDs], [ActorCompromised] and the kill
// switches apply it, and a platform whose names are case-sensitive only
// sees a mark deny more (its "Acme/App" and "acme/app" both), never less.
func CanonicalMarkID(id string) string {
	for _, c := range markClaims {
		rest, ok := strings.CutPrefix(id, c.prefix)
		if !ok {
			continue
		}
		if !utf8.ValidString(rest) {
			return id
		}
		canon := canonicalMarkValue(c.prefix, rest)
		if canon == rest {
			return id // already canonical: no allocation on the check path
		}
		return c.prefix + canon
	}
	return id
}

// canonicalMarkValue returns rest, the part of a repository or owner mark
// id after prefix, in the one spelling checks compare: percent-encoding
// decoded ("acme%2Fapp" is "acme/app"; a value with an invalid escape,
// or that decodes to a '%', is kept as it is), folded to lower case,
// trailing slashes dropped ("acme/app/"), and, for [MarkRepositoryID]
// and [MarkRepositoryOwnerID], a decimal number
// after the last slash without a '+' sign or leading zeros ("+0042" is
// "42"). No token spells a repository or an id in these other ways, so a
// mark spelt in one denied nobody; each only merges spellings, so a mark
// denies more, never less.
func canonicalMarkValue(prefix, rest string) string {
	if strings.IndexByte(rest, '%') >= 0 {
		// Decoded once, and only to a text without '%': decoding "%2525"
		// to "%25" would make the form differ on a second pass, and
		// checks canonicalise ids already canonical.
		if u, err := url.PathUnescape(rest); err == nil && utf8.ValidString(u) && strings.IndexByte(u, '%') < 0 {
			rest = u
		}
	}
	rest = strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, rest)
	if t := strings.TrimRight(rest, "/"); strings.Contains(t, "/") {
		rest = t // "repository:github-actions/" keeps its slash (CheckMarkID refuses it)
	}
	if prefix == MarkRepository {
		return rest
	}
	i := strings.LastIndexByte(rest, '/') + 1
	n := strings.TrimPrefix(rest[i:], "+")
	if n == "" || strings.ContainsFunc(n, func(r rune) bool { return r < '0' || r > '9' }) {
		return rest
	}
	if n = strings.TrimLeft(n, "0"); n == "" {
		n = "0"
	}
	if n == rest[i:] {
		return rest // already canonical: no allocation on the check path
	}
	return rest[:i] + n
}

// MarkIDs returns every id a compromise check of a consults: a.ID (when not
// empty), and, for each of the claims "repository", "repository_id" and
// "repository_owner_id" that a.Claims name, the mark id of that repository
// or owner on a.Claims["platform"] (see [MarkRepository]), folded by
// [CanonicalMarkID]. A mark on any of
// them covers the actor: a kill-switch mark on a repository stops each of
// its jobs, whatever their own ids (a SPIFFE ID, "<issuer>#<subject>" with
// a branch in it). The claims are the verified identity's (see
// identity.Claims): a job cannot drop or change them to escape a mark. An
// identity whose platform claims another platform's name only matches
// that platform's marks too: it can deny itself, never escape its own.
func MarkIDs(a Actor) []string {
	var out []string
	if a.ID != "" {
		out = append(out, a.ID)
	}
	platform := a.Claims["platform"]
	for _, c := range markClaims {
		if v := a.Claims[c.claim]; v != "" {
			out = append(out, CanonicalMarkID(c.prefix+platform+"/"+v))
		}
	}
	return out
}

// ActorCompromised reports whether c reports any of [MarkIDs](a)
// compromised: the actor itself, its repository (by name or id) or the
// repository's owner. c must not be nil.
func ActorCompromised(c CompromiseChecker, a Actor) bool {
	if a.ID != "" && c.Compromised(a.ID) {
		return true
	}
	if len(a.Claims) == 0 {
		return false
	}
	platform := a.Claims["platform"]
	for _, mc := range markClaims {
		if v := a.Claims[mc.claim]; v != "" && c.Compromised(CanonicalMarkID(mc.prefix+platform+"/"+v)) {
			return true
		}
	}
	return false
}
