package audit

import (
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// turningSigner signs with good for its first calls (OpenWithSigner's
// probe) and with bad afterwards, under good's name and key hash: a KMS
// that starts answering with another key version, or a signer of one's
// own that goes wrong.
type turningSigner struct {
	good, bad note.Signer
	calls     atomic.Int32
	after     int32
}

func (s *turningSigner) Name() string    { return s.good.Name() }
func (s *turningSigner) KeyHash() uint32 { return s.good.KeyHash() }
func (s *turningSigner) Sign(msg []byte) ([]byte, error) {
	if s.calls.Add(1) > s.after {
		return s.bad.Sign(msg)
	}
	return s.good.Sign(msg)
}

// OpenWithSigner checks the signer once, with a probe. Before, a signer
// that went wrong afterwards had its checkpoints written into the log and
// the appends they covered acknowledged as durable: the log no longer
// verified ([ErrCheckpointSignature] from Verifier.Log), and Open refused
// it from then on, so every acknowledged entry after the bad checkpoint
// had no valid signature. Each checkpoint is now verified with the log's
// verifier before it is written: the batch fails with ErrSink, nothing of
// it is written, and the log refuses appends, as after a signing error.
func TestReview21CheckpointVerifiedBeforeWritten(t *testing.T) {
	t.Parallel()
	const origin = "example.com/ztci/audit/review21"
	good, v, err := NewCheckpointSigner(origin, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	bad, _, err := NewCheckpointSigner(origin, testKey(2))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	s := &turningSigner{good: good, bad: bad, after: 1}
	l, err := OpenWithSigner(t.Context(), path, s, v, WithCheckpointEvery(1), WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Append(t.Context(), testEvent(0))
	if !errors.Is(err, ErrSink) || !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("Append covered by a checkpoint that does not verify = %v, want ErrSink and ErrCheckpointSignature", err)
	}
	if _, err := l.Append(t.Context(), testEvent(1)); !errors.Is(err, ErrSink) {
		t.Errorf("Append after a bad checkpoint = %v, want the log to refuse", err)
	}
	_ = l.Close()
	l, err = OpenWithSigner(t.Context(), path, good, v, WithUnsignedTail(TailRefuse))
	if err != nil {
		t.Fatalf("reopen with the right signer: %v (a checkpoint that does not verify was written)", err)
	}
	defer l.Close()
	if n := l.Size(); n != 0 {
		t.Errorf("%d entries kept, want 0: their append failed", n)
	}
}
