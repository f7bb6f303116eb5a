package gate

import "sync"

// jobSlots counts the decisions each job identity has in flight, so that
// one job cannot hold every slot of the gate (Limits.MaxInFlightPerJob).
// The zero value is ready to use.
type jobSlots struct {
	mu sync.Mutex
	n  map[string]int // by identity ID; only jobs with decisions in flight
}

// take counts one more decision of job, or returns ErrJobBusy when job has
// max in flight already. release must be called once the decision is done.
func (s *jobSlots) take(job string, max int) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[job] >= max {
		return nil, ErrJobBusy
	}
	if s.n == nil {
		s.n = map[string]int{}
	}
	s.n[job]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.n[job]--; s.n[job] == 0 {
			delete(s.n, job)
		}
	}, nil
}
