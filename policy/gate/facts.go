package gate

import (
	"runtime"
	"sync"
	"weak"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

// factsMemo remembers the policy view of each verified result ([Attestation])
// for as long as the result itself is alive. A warm decision gets the same
// *verify.Result from the verification caches every time, and reading its
// predicate again (a JSON decode of the provenance, the scan, the secrets
// provenance) was a fifth of the gate's own CPU per decision.
//
// The memo cannot outlive or widen a verdict: it is keyed by a weak pointer,
// so it holds no result alive and an entry is dropped once the result is
// collected (evicted from verify's caches and no longer used by any
// decision); revocation and policy still run per decision on what it
// returns. A verify.Result is never modified after verification, so its
// conversion cannot change. The policy.Attestation values it hands out
// share their pointed-to facts between decisions: callers treat them as
// read-only (markLeases copies before it marks).
type factsMemo struct {
	mu sync.Mutex
	m  map[weak.Pointer[verify.Result]]policy.Attestation
}

func newFactsMemo() *factsMemo {
	return &factsMemo{m: map[weak.Pointer[verify.Result]]policy.Attestation{}}
}

// attestation returns Attestation(r), converting r at most once while it
// lives.
func (f *factsMemo) attestation(r *verify.Result) policy.Attestation {
	k := weak.Make(r)
	f.mu.Lock()
	att, ok := f.m[k]
	f.mu.Unlock()
	if ok {
		return att
	}
	att = Attestation(r)
	f.mu.Lock()
	if _, raced := f.m[k]; !raced {
		f.m[k] = att
		runtime.AddCleanup(r, f.forget, k)
	}
	f.mu.Unlock()
	return att
}

func (f *factsMemo) forget(k weak.Pointer[verify.Result]) {
	f.mu.Lock()
	delete(f.m, k)
	f.mu.Unlock()
}
