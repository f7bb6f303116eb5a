package witness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/ztci/ztci/audit"
)

// Limits of a [Submission], from the C2SP tlog-witness add-checkpoint call.
const (
	// MaxSubmissionSize bounds an encoded submission: 63 proof lines of 45
	// bytes and a checkpoint with a few signatures fit with room to spare.
	MaxSubmissionSize = 16 << 10
	// MaxProofHashes is the most consistency-proof hashes a submission may
	// carry (an RFC 6962 consistency proof of a tree below 2^63 entries).
	MaxProofHashes = 63
)

// Submission is a checkpoint together with the consistency proof from the
// previous checkpoint its log submitted, so that a witness can check that
// the log only grew without reading it. Its encoding is the request body
// of the C2SP tlog-witness add-checkpoint call
// (https://c2sp.org/tlog-witness):
//
//	old <old size>
//	<base64 proof hash>
//	...
//
//	<signed checkpoint note>
type Submission struct {
	// OldSize is the size of the checkpoint the proof starts from; 0 means
	// "no proof" (the first submission of a log).
	OldSize uint64
	// Proof is the RFC 6962 consistency proof from OldSize to the
	// checkpoint's size: SHA-256 hashes, at most [MaxProofHashes].
	Proof [][]byte
	// Checkpoint is the signed checkpoint note ([audit.Checkpoint].Signed).
	Checkpoint []byte
}

// Marshal encodes s as an add-checkpoint body. It does not validate s:
// [ParseSubmission] does, on the receiving side.
func (s Submission) Marshal() []byte {
	b := make([]byte, 0, 16+45*len(s.Proof)+len(s.Checkpoint))
	b = append(b, "old "...)
	b = strconv.AppendUint(b, s.OldSize, 10)
	b = append(b, '\n')
	for _, h := range s.Proof {
		b = base64.StdEncoding.AppendEncode(b, h)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, s.Checkpoint...)
}

// ID returns a stable identifier of the encoded submission b (a SHA-256 of
// it, hex): equal bodies have equal ids, so a transport can de-duplicate
// retries of one submission without conflating two different ones.
func ID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// ParseSubmission decodes an add-checkpoint body. It checks the framing
// only: sizes in canonical decimal, at most [MaxProofHashes] proof lines
// each a strict base64 SHA-256 hash, an empty line, and a non-empty
// checkpoint ending in a newline, the whole at most [MaxSubmissionSize]
// bytes. The checkpoint's signature and the proof are checked by
// [Witness.Add]. Errors wrap [ErrMalformed].
func ParseSubmission(b []byte) (Submission, error) {
	if len(b) > MaxSubmissionSize {
		return Submission{}, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), MaxSubmissionSize)
	}
	line, rest, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return Submission{}, fmt.Errorf("%w: no old size line", ErrMalformed)
	}
	num, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return Submission{}, fmt.Errorf("%w: first line must be \"old <size>\"", ErrMalformed)
	}
	old, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil || strconv.FormatUint(old, 10) != string(num) {
		return Submission{}, fmt.Errorf("%w: old size is not a canonical decimal", ErrMalformed)
	}
	s := Submission{OldSize: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return Submission{}, fmt.Errorf("%w: no empty line before the checkpoint", ErrMalformed)
		}
		if len(line) == 0 {
			break
		}
		if len(s.Proof) == MaxProofHashes {
			return Submission{}, fmt.Errorf("%w: more than %d proof lines", ErrMalformed, MaxProofHashes)
		}
		// Exactly 44 characters: the decoder would skip a CR inside.
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != sha256.Size || len(line) != base64.StdEncoding.EncodedLen(sha256.Size) {
			return Submission{}, fmt.Errorf("%w: proof line %d is not a base64 SHA-256 hash", ErrMalformed, len(s.Proof)+1)
		}
		s.Proof = append(s.Proof, h)
	}
	if old == 0 && len(s.Proof) != 0 {
		return Submission{}, fmt.Errorf("%w: a proof from size 0 must be empty", ErrMalformed)
	}
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return Submission{}, fmt.Errorf("%w: checkpoint missing or not newline-terminated", ErrMalformed)
	}
	s.Checkpoint = bytes.Clone(rest)
	return s, nil
}

// Log is what [Prepare] needs of a node's log; an [*audit.Log] satisfies
// it.
type Log interface {
	// Size returns the number of durable entries.
	Size() uint64
	// Checkpoint signs (if needed) and returns a checkpoint covering every
	// durable entry.
	Checkpoint(ctx context.Context) (audit.Checkpoint, error)
	// ConsistencyProof returns the proof that the tree of size2 extends
	// the tree of size1.
	ConsistencyProof(size1, size2 uint64) ([][]byte, error)
}

// Prepare signs a checkpoint of log and returns the submission of it that
// proves it extends prev, the checkpoint of the same log submitted (and
// acknowledged) before; a zero prev means none. A node calls it to
// publish its checkpoints to witnesses.
//
// Prepare submits what the log holds, whatever it holds: when the log can
// no longer prove it extends prev (it holds fewer entries than prev, or
// the proof cannot be computed), the submission carries prev's size and no
// proof, and a witness flags it. Prepare does not check the proof itself;
// the caller may, with the log's [audit.Verifier].
//
// An empty log's checkpoint commits to the empty tree at size 0; any later
// checkpoint extends it without a proof.
func Prepare(ctx context.Context, log Log, prev audit.Checkpoint) (Submission, audit.Checkpoint, error) {
	cp, err := log.Checkpoint(ctx)
	if err != nil {
		return Submission{}, audit.Checkpoint{}, fmt.Errorf("witness: checkpoint: %w", err)
	}
	s := Submission{OldSize: prev.Size, Checkpoint: cp.Signed}
	if prev.Signed == nil {
		s.OldSize = 0
	} else if prev.Size > 0 && prev.Size <= cp.Size {
		// An error leaves the proof empty: the witness decides.
		s.Proof, _ = log.ConsistencyProof(prev.Size, cp.Size)
	}
	return s, cp, nil
}
