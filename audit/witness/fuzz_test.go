package witness_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ztci/ztci/audit/witness"
)

// FuzzParseSubmission: any input either fails with ErrMalformed or parses
// into a submission that re-encodes to exactly the input (the encoding is
// canonical), within the documented bounds.
func FuzzParseSubmission(f *testing.F) {
	n := newNode(f, origin, key(1))
	n.append(0, 5)
	f.Add(n.submit())
	n.append(5, 13)
	f.Add(n.submit())
	f.Add([]byte("old 0\n\n"))
	f.Add([]byte("old 01\n\nx\n"))
	f.Add([]byte("old 3\nAAAA\n\nx\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := witness.ParseSubmission(b)
		if err != nil {
			if !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(s.Proof) > witness.MaxProofHashes || len(b) > witness.MaxSubmissionSize {
			t.Fatalf("bounds exceeded: %d hashes, %d bytes", len(s.Proof), len(b))
		}
		if got := s.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded %q, parsed from %q", got, b)
		}
	})
}
