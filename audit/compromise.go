package audit

// CompromiseChecker reports whether an identity (by its stable ID, see
// [Actor]) has been marked compromised, e.g. by a kill switch fed from a
// runtime-security detector. Components that hand out privileges (secrets,
// policy gates) consult it and deny a compromised identity.
//
// Compromised must be safe for concurrent use and fast: it sits on the path of
// every decision.
type CompromiseChecker interface {
	Compromised(id string) bool
}
