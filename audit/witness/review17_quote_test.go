package witness_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/witness"
)

// TestReview17FlagsQuoteNothing: a flag's reason goes into the witness's
// audit trail and logs, and a submitter chose the origin its checkpoint
// names, its old size and the checkpoint's text. An unknown origin named
// by the checkpoint, an old size that is not a number, and a checkpoint
// of the right origin whose body does not parse were quoted in it. A
// configured origin is still named: it is the witness's own text.
func TestReview17FlagsQuoteNothing(t *testing.T) {
	t.Parallel()
	const c = "CANARY-s3cr3t"
	n := newNode(t, origin, key(1))
	n.append(0, 2)
	good := n.submit()
	_, cp, _ := bytes.Cut(good, []byte("\n\n"))
	signer, _, err := audit.NewCheckpointSigner(origin, key(1))
	if err != nil {
		t.Fatal(err)
	}
	badSize, err := note.Sign(&note.Note{Text: origin + "\n" + c + "\n" + strings.Repeat("A", 43) + "=\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"unknown origin named":     []byte("old 0\n\n" + c + "\n2\nAAAA\n\n— " + c + " AAAAAQ==\n"),
		"old size":                 append([]byte("old "+c+"\n\n"), cp...),
		"signed size not a number": append([]byte("old 0\n\n"), badSize...),
	} {
		w, rec := newWitness(t, witness.NewMemoryStore())
		_, err := w.Add(t.Context(), origin, body)
		if !errors.Is(err, witness.ErrRejected) {
			t.Fatalf("%s: Add = %v, want a rejection", name, err)
		}
		reasons := fmt.Sprint(err, rec.Events())
		if strings.Contains(reasons, c) {
			t.Errorf("%s: the flag quotes the submission: %s", name, reasons)
		}
	}

	// A node submitting another configured node's checkpoint: named.
	w, _ := newWitness(t, witness.NewMemoryStore())
	_, err = w.Add(t.Context(), "example.com/ztci/audit/node-2", good)
	if !errors.Is(err, witness.ErrOriginMismatch) || !strings.Contains(err.Error(), `"`+origin+`"`) {
		t.Errorf("replayed checkpoint of a configured origin: %v, want it named", err)
	}
}
