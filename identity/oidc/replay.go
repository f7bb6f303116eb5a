package oidc

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// ReplayCache records token ids for single-use verification.
//
// Claim records key until the given time and returns nil the first time a
// key is seen; it returns an error wrapping [ErrReplayed] when the key is
// already recorded and unexpired, and any other error (for example
// [ErrReplayCacheFull]) when it cannot decide, which the verifier treats as
// a rejection. A record that has lapsed may be claimed again (an issuer
// reusing a jti), but never by a claim whose until has already passed by
// the cache's clock: that is the same token replayed at the instant it
// expires, and it would take over the record of its first use. Refuse such
// a claim (wrapping [ErrExpired], as [MemoryReplayCache] and pgreplay do)
// or keep records past their until (natsreplay keeps them for its clock
// skew allowance). The verifier, which checked exp before Claim, checks it
// again after. Implementations must be safe for concurrent use; a cache
// shared by several verifier instances (a database, NATS KV) gives
// single-use semantics across them.
type ReplayCache interface {
	Claim(ctx context.Context, key string, until time.Time) error
}

// MemoryReplayCache is a bounded in-memory [ReplayCache]. When it is full of
// unexpired entries it refuses new tokens (fail closed) instead of evicting a
// live entry, which would reopen a replay window.
type MemoryReplayCache struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	entries map[string]time.Time
}

// NewMemoryReplayCache returns a cache holding at most max live entries;
// now is the clock (nil means time.Now). Give it the verifier's clock
// ([WithClock]) when the verifier has one: a cache clock ahead of the
// verifier's drops a record while the verifier still accepts its token.
func NewMemoryReplayCache(max int, now func() time.Time) *MemoryReplayCache {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = 1
	}
	return &MemoryReplayCache{now: now, max: max, entries: make(map[string]time.Time)}
}

// Claim implements [ReplayCache].
func (m *MemoryReplayCache) Claim(_ context.Context, key string, until time.Time) error {
	now := m.now()
	// A record that has already expired is never made: the lapsed record
	// of a token replayed at its expiry would be taken over below.
	if !now.Before(until) {
		return &ClaimError{Claim: "exp", Want: "a token still valid when recorded", Got: until.UTC().Format(time.RFC3339), Err: ErrExpired}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.entries[key]; ok && now.Before(exp) {
		return &ClaimError{Claim: "jti", Want: "a token id not used before", Got: "a token id already used", Err: ErrReplayed}
	}
	if len(m.entries) >= m.max {
		for k, exp := range m.entries {
			if !now.Before(exp) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= m.max {
			return fmt.Errorf("%w: %d live token ids", ErrReplayCacheFull, len(m.entries))
		}
	}
	m.entries[key] = until
	return nil
}

// Len returns the number of recorded entries, expired ones included.
func (m *MemoryReplayCache) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
