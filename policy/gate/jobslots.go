package gate

import (
	"fmt"
	"strings"
	"sync"

	"github.com/ztci/ztci/identity"
)

// jobSlots counts the decisions in flight per job identity, per repository
// and per repository owner, so that one job cannot hold every slot of the
// gate (Limits.MaxInFlightPerJob), nor can one repository or owner by
// running its jobs under many subjects (Limits.MaxInFlightPerRepository,
// MaxInFlightPerOwner). The zero value is ready to use.
type jobSlots struct {
	mu sync.Mutex
	n  map[string]int // by slot key; only keys with decisions in flight
}

// slot is one bound a decision counts against.
type slot struct {
	key   string
	max   int
	scope string // "job", "repository", "owner": for the error only
}

// slotsFor returns the bounds a decision of id counts against. The job's
// identity is chosen by the pipeline author in part (a subject names the
// branch, the environment, the workflow: a new branch is a new subject),
// so it alone does not bound a repository; the repository and its owner,
// which the token's issuer sets, do. They are keyed by the issuer and the
// platform's immutable ids where it gives them, its names otherwise.
// An identity without those claims (a SPIFFE ID) counts as a job only.
func (l Limits) slotsFor(id identity.Identity) []slot {
	s := []slot{{key: "job\x00" + id.ID(), max: l.MaxInFlightPerJob, scope: "job"}}
	scope := id.Issuer
	if !id.SPIFFEID.IsZero() {
		scope = id.SPIFFEID.TrustDomain().IDString()
	}
	c := id.Claims
	if r := firstOf(c.RepositoryID, c.Repository); r != "" {
		s = append(s, slot{key: "repository\x00" + scope + "\x00" + r, max: l.MaxInFlightPerRepository, scope: "repository"})
	}
	if o := firstOf(c.RepositoryOwnerID, owner(c.Repository)); o != "" {
		s = append(s, slot{key: "owner\x00" + scope + "\x00" + o, max: l.MaxInFlightPerOwner, scope: "owner"})
	}
	return s
}

func firstOf(a, b string) string {
	if a != "" {
		return "id:" + a
	}
	if b != "" {
		return "name:" + b
	}
	return ""
}

// owner returns the owner part of an "owner/name" repository ("" for
// none).
func owner(repo string) string {
	o, _, ok := strings.Cut(repo, "/")
	if !ok {
		return ""
	}
	return o
}

// take counts one more decision against every slot, or none and returns
// an error wrapping ErrJobBusy when one of them has its max in flight
// already. release must be called once the decision is done.
func (s *jobSlots) take(slots []slot) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sl := range slots {
		if s.n[sl.key] >= sl.max {
			return nil, fmt.Errorf("%w (%d of this %s)", ErrJobBusy, sl.max, sl.scope)
		}
	}
	if s.n == nil {
		s.n = map[string]int{}
	}
	for _, sl := range slots {
		s.n[sl.key]++
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, sl := range slots {
			if s.n[sl.key]--; s.n[sl.key] == 0 {
				delete(s.n, sl.key)
			}
		}
	}, nil
}

// resolveScopes sets the repository and owner bounds left unset to their
// default or the bound below them, whichever is larger, and refuses a
// bound set below the one under it: a repository bound under the job
// bound would make the job bound a lie.
func (l *Limits) resolveScopes() error {
	if l.MaxInFlightPerRepository == 0 {
		l.MaxInFlightPerRepository = max(DefaultMaxInFlightPerRepository, l.MaxInFlightPerJob)
	}
	if l.MaxInFlightPerOwner == 0 {
		l.MaxInFlightPerOwner = max(DefaultMaxInFlightPerOwner, l.MaxInFlightPerRepository)
	}
	if l.MaxInFlightPerRepository < l.MaxInFlightPerJob || l.MaxInFlightPerOwner < l.MaxInFlightPerRepository {
		return fmt.Errorf("%w: MaxInFlightPerOwner >= MaxInFlightPerRepository >= MaxInFlightPerJob is required", ErrConfig)
	}
	return nil
}
