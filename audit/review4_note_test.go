package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestReview4CheckpointNoteSpellings: a checkpoint is accepted only as the
// signed note its key signed. Another spelling of the same note (CRLF, a
// trailing space on the signature line, text after the signatures), a
// note signed only by another key, or a body with a line added is refused; a further signature by a key the verifier
// does not know, even under the log's own name, is ignored (signed-note
// rules), and the checkpoint is the same.
func TestReview4CheckpointNoteSpellings(t *testing.T) {
	t.Parallel()
	s, v, err := newSigner(testOrigin, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := signCheckpoint(s, 3, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	body, _, _ := bytes.Cut(cp.Signed, []byte("\n\n"))
	body = append(body, '\n')
	witness, _, err := NewCheckpointSigner("example.com/other-witness", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(&note.Note{Text: string(body)}, s, witness)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.Checkpoint(cosigned); err != nil || got.Size != 3 {
		t.Fatalf("checkpoint cosigned by an unknown key: %+v, %v", got, err)
	}
	sameNameOtherKey, _, _ := newSigner(testOrigin, testKey(2))
	twice, _ := note.Sign(&note.Note{Text: string(body)}, s, sameNameOtherKey)
	onlyWitness, _ := note.Sign(&note.Note{Text: string(body)}, witness)
	extraLine, _ := note.Sign(&note.Note{Text: string(body) + "extension\n"}, s)
	for name, signed := range map[string][]byte{
		"CRLF":                      bytes.ReplaceAll(cp.Signed, []byte("\n"), []byte("\r\n")),
		"signature trailing space":  append(bytes.TrimSuffix(bytes.Clone(cp.Signed), []byte("\n")), " \n"...),
		"text after the signatures": append(bytes.Clone(cp.Signed), "junk\n"...),
		"no final newline":          bytes.TrimSuffix(bytes.Clone(cp.Signed), []byte("\n")),
		"signatures dropped":        body,
		"body line added":           extraLine,
		"only the other key":        onlyWitness,
	} {
		if got, err := v.Checkpoint(signed); err == nil {
			t.Errorf("%s: accepted %+v", name, got)
		} else if !errors.Is(err, ErrInvalidLog) {
			t.Errorf("%s: %v does not match ErrInvalidLog", name, err)
		}
	}
	// A second signature under the log's own name by another key (another
	// key hash): ignored as unknown, the checkpoint stands on the known one.
	if got, err := v.Checkpoint(twice); err != nil || got.Size != 3 {
		t.Errorf("same name, another key beside the log's: %+v, %v", got, err)
	}
}
