package witness

import (
	"bytes"
	"context"
	"sync"
)

// Store persists the witness's state: for each origin, the signed
// checkpoint it accepted last. A witness that loses its state trusts the
// next checkpoint of every log on first use, so a log could roll back
// across that restart unnoticed: give a production witness a durable,
// replicated store (natswitness.KVStore).
//
// Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the checkpoint note stored for origin and its revision,
	// or (nil, 0, nil) when there is none. An error means the store could
	// not answer; the witness then decides nothing (ErrUnavailable).
	Load(ctx context.Context, origin string) (signed []byte, revision uint64, err error)
	// Save stores signed for origin if the origin's revision is still
	// revision (0: only if there is none yet), and returns the new
	// revision. It returns an error wrapping [ErrConflict] when the
	// revision changed, and any other error when the store could not
	// answer; in both cases nothing may have been stored unless a later
	// Load shows it.
	Save(ctx context.Context, origin string, signed []byte, revision uint64) (uint64, error)
}

// MemoryStore is a [Store] in process memory, for tests and for a witness
// whose state may be lost (see [Store] for what that costs).
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	signed []byte
	rev    uint64
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]memEntry{}} }

// Load implements [Store].
func (s *MemoryStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[origin]
	return bytes.Clone(e.signed), e.rev, nil
}

// Save implements [Store].
func (s *MemoryStore) Save(ctx context.Context, origin string, signed []byte, revision uint64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[origin].rev != revision {
		return 0, ErrConflict
	}
	rev := revision + 1
	s.m[origin] = memEntry{signed: bytes.Clone(signed), rev: rev}
	return rev, nil
}
