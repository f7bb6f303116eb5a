package audit

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

// MarkIDs returns every id a compromise check of a consults: a.ID (when not
// empty), and, for each of the claims "repository", "repository_id" and
// "repository_owner_id" that a.Claims name, the mark id of that repository
// or owner on a.Claims["platform"] (see [MarkRepository]). A mark on any of
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
			out = append(out, c.prefix+platform+"/"+v)
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
		if v := a.Claims[mc.claim]; v != "" && c.Compromised(mc.prefix+platform+"/"+v) {
			return true
		}
	}
	return false
}
