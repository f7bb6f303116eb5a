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

// PositionStore is a [Store] that also keeps, with each origin's
// checkpoint and in the same write (one revision), the [Position] of the
// submission that carried it, so that [Witness.AddAt] recognises a
// submission the transport delivers again (a consumer replaying its
// stream) instead of flagging its old checkpoint as a rollback. A witness
// uses these methods instead of Load and Save when its store has them;
// [MemoryStore] and natswitness.KVStore do.
//
// Save of a PositionStore stores no position for the origin (it removes
// the one stored): a checkpoint accepted without a position does not say
// where the transport stood. A state written before positions were kept
// reads with the zero Position: its origin's replays are flagged until a
// submission with a position is accepted.
type PositionStore interface {
	Store
	// LoadPosition is Load that also returns the position stored with
	// the checkpoint (zero if none).
	LoadPosition(ctx context.Context, origin string) (signed []byte, pos Position, revision uint64, err error)
	// SavePosition is Save that stores pos with signed, in one write.
	SavePosition(ctx context.Context, origin string, signed []byte, pos Position, revision uint64) (uint64, error)
}

// MemoryStore is a [Store] in process memory, for tests and for a witness
// whose state may be lost (see [Store] for what that costs).
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	signed []byte
	pos    Position
	rev    uint64
}

var _ PositionStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]memEntry{}} }

// Load implements [Store].
func (s *MemoryStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	signed, _, rev, err := s.LoadPosition(ctx, origin)
	return signed, rev, err
}

// Save implements [Store]; it stores no position.
func (s *MemoryStore) Save(ctx context.Context, origin string, signed []byte, revision uint64) (uint64, error) {
	return s.SavePosition(ctx, origin, signed, Position{}, revision)
}

// LoadPosition implements [PositionStore].
func (s *MemoryStore) LoadPosition(ctx context.Context, origin string) ([]byte, Position, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, Position{}, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[origin]
	return bytes.Clone(e.signed), e.pos, e.rev, nil
}

// SavePosition implements [PositionStore].
func (s *MemoryStore) SavePosition(ctx context.Context, origin string, signed []byte, pos Position, revision uint64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[origin].rev != revision {
		return 0, ErrConflict
	}
	rev := revision + 1
	s.m[origin] = memEntry{signed: bytes.Clone(signed), pos: pos, rev: rev}
	return rev, nil
}
