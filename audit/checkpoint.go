package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed statement of a log's size and Merkle root, in the
// C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint) signed as a
// C2SP signed note (Ed25519 for [Open]; ECDSA or a signer of your own with
// [OpenWithSigner]):
//
//	<origin>
//	<size>
//	<base64 root>
//
//	— <origin> <base64 key hash || signature>
//
// The origin is the log's identity: a checkpoint from another log instance
// has another origin and is rejected with [ErrForeignLog].
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	// Signed is the complete signed note. Verification always starts from
	// it, never from the other fields.
	Signed []byte
}

// Verifier checks checkpoints, proofs and whole logs offline, holding only
// a log's origin and public key: Ed25519 ([NewVerifier]), ECDSA
// ([NewCheckpointSigner]) or any signed-note verifier ([NewNoteVerifier]).
// The algorithm is pinned by the key: a checkpoint signed under the same
// origin with another algorithm or key is refused.
type Verifier struct {
	origin string
	nv     note.Verifier
	vkey   string
}

// NewVerifier returns a Verifier for the log named origin with public key
// pub. origin must be a valid note key name (no spaces or '+'), e.g.
// "example.com/ztci/audit/prod".
func NewVerifier(origin string, pub ed25519.PublicKey) (*Verifier, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit: verifier: want %d-byte Ed25519 public key, got %d bytes", ed25519.PublicKeySize, len(pub))
	}
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, fmt.Errorf("audit: verifier: origin %q: %w", origin, err)
	}
	nv, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: verifier: %w", err)
	}
	return &Verifier{origin: origin, nv: nv, vkey: vkey}, nil
}

// Origin returns the log identity the verifier accepts.
func (v *Verifier) Origin() string { return v.origin }

// VerifierKey returns the key in signed-note verifier-key form
// ("<name>+<hash>+<base64>"), for use with other C2SP tools.
func (v *Verifier) VerifierKey() string { return v.vkey }

// Checkpoint verifies a signed checkpoint and returns its contents. Errors
// wrap [ErrForeignLog], [ErrCheckpointSignature] or [ErrCorruptEntry].
func (v *Verifier) Checkpoint(signed []byte) (Checkpoint, error) {
	origin, _, _ := strings.Cut(string(signed), "\n")
	if origin != v.origin {
		return Checkpoint{}, &MismatchError{Kind: ErrForeignLog, What: "checkpoint origin", Want: strconv.Quote(v.origin), Got: otherText(len(origin))}
	}
	n, err := note.Open(signed, note.VerifierList(v.nv))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpointSignature, err)
	}
	if err := soleSignature(signed, n.Sigs[0]); err != nil {
		return Checkpoint{}, err
	}
	cp, err := parseCheckpointBody(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	cp.Signed = append([]byte(nil), signed...)
	return cp, nil
}

// soleSignature refuses a note that carries the log key's signature sig in
// more than one spelling. note.Open verifies the first line of a known key
// and skips every further line of that key unread, and decodes base64
// loosely (non-zero padding bits), so without this one checkpoint had many
// byte strings, one of them holding a signature line of the log's key that
// does not verify: a verifier that checks every line, or the last, refuses
// what this one accepts. Lines of other keys (cosignatures, another key
// under the log's name) stay ignored, as signed-note verifiers must.
func soleSignature(signed []byte, sig note.Signature) error {
	raw, err := base64.StdEncoding.Strict().DecodeString(sig.Base64)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != sig.Base64 {
		return fmt.Errorf("%w: the log key's signature is not in canonical base64", ErrCheckpointSignature)
	}
	sigs := signed[bytes.LastIndex(signed, []byte("\n\n"))+2:] // note.Open found the split
	n := 0
	for line := range strings.SplitSeq(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		name, b64, _ := strings.Cut(strings.TrimPrefix(line, "— "), " ")
		if h, err := base64.StdEncoding.DecodeString(b64); err == nil && len(h) >= 4 &&
			name == sig.Name && binary.BigEndian.Uint32(h) == sig.Hash {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: %d signature lines of the log's key, want 1", ErrCheckpointSignature, n)
	}
	return nil
}

func parseCheckpointBody(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint body: want 3 lines", ErrCorruptEntry)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint size is not a canonical decimal", ErrCorruptEntry)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint root is not the strict base64 of a SHA-256 hash", ErrCorruptEntry)
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

func checkpointBody(origin string, size uint64, root []byte) string {
	return origin + "\n" + strconv.FormatUint(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root) + "\n"
}

// Inclusion verifies that entry (the exact bytes of an event as stored in
// the log, see [Receipt]) is at index in the log committed to by the signed
// checkpoint cp. Errors wrap [ErrProof] or a checkpoint error.
func (v *Verifier) Inclusion(cp Checkpoint, index uint64, entry []byte, p [][]byte) error {
	c, err := v.Checkpoint(cp.Signed)
	if err != nil {
		return err
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(entry)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, c.Size, leaf, p, c.Root); err != nil {
		return fmt.Errorf("%w: inclusion of entry %d in tree of size %d: %w", ErrProof, index, c.Size, err)
	}
	return nil
}

// Consistency verifies that the log committed to by newer is an append-only
// extension of the one committed to by older. Errors wrap [ErrProof] or a
// checkpoint error.
func (v *Verifier) Consistency(older, newer Checkpoint, p [][]byte) error {
	a, err := v.Checkpoint(older.Signed)
	if err != nil {
		return err
	}
	b, err := v.Checkpoint(newer.Signed)
	if err != nil {
		return err
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, a.Size, b.Size, p, a.Root, b.Root); err != nil {
		return fmt.Errorf("%w: consistency %d -> %d: %w", ErrProof, a.Size, b.Size, err)
	}
	return nil
}

// newSigner is the checkpoint signer for an in-process Ed25519 key.
func newSigner(origin string, key ed25519.PrivateKey) (note.Signer, *Verifier, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, nil, fmt.Errorf("audit: signing key: want %d-byte Ed25519 private key, got %d bytes", ed25519.PrivateKeySize, len(key))
	}
	return NewCheckpointSigner(origin, key)
}

// signCheckpoint signs the checkpoint of the tree of size with root as the
// log s names.
func signCheckpoint(s note.Signer, size uint64, root []byte) (Checkpoint, error) {
	signed, err := note.Sign(&note.Note{Text: checkpointBody(s.Name(), size, root)}, s)
	if err != nil {
		return Checkpoint{}, &SignerError{Origin: s.Name(), cause: err}
	}
	return Checkpoint{Origin: s.Name(), Size: size, Root: bytes.Clone(root), Signed: signed}, nil
}

// SignerError is a checkpoint signer's failure as a [Log] reports it
// ([OpenWithSigner] wraps it in [ErrConfig], an append or checkpoint in
// [ErrSink]). Its text names the log's origin only: a KMS or HSM
// client's error may quote a key URI with credentials in it, a token or
// a request, and these errors reach callers and job logs. errors.Is and
// errors.As reach the signer's own error through Unwrap; an operator's
// code that wants its text logs [SignerError.Cause] deliberately, to a
// log only operators read.
type SignerError struct {
	Origin string // the origin the signer signs as
	cause  error
}

func (e *SignerError) Error() string {
	return fmt.Sprintf("audit: checkpoint signer for %q failed (the signer's error is withheld)", e.Origin)
}

// GoString is Error: %#v would print the signer's error by reflection.
func (e *SignerError) GoString() string { return e.Error() }

// Unwrap returns the signer's error, for errors.Is and errors.As.
func (e *SignerError) Unwrap() error { return e.cause }

// Cause is the signer's own error, whose text may hold credentials: for an
// operator's log only.
func (e *SignerError) Cause() error { return e.cause }
