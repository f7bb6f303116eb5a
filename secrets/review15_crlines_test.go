package secrets_test

import (
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestReview15CarriageReturnLines: a multi-line value whose lines end in a
// lone CR (a file saved with classic Mac line endings, a value pasted from
// a terminal) was masked only as it is. Python's text mode (universal
// newlines), .NET's ReadLine (and so the GitHub Actions runner, which masks
// each line of a secret split at '\r' or '\n') and tr '\r' '\n' turn each CR
// into a line break, and until a fifteenth outside review neither the value
// with LF line endings nor its lines on their own were masked.
func TestReview15CarriageReturnLines(t *testing.T) {
	t.Parallel()
	const v = "first-line-Zq9vX2\rsecond-line-s3cr3t\rthird-line-k7Pw"
	r := secrets.NewRedactor()
	r.AddMask(v)
	for _, in := range []string{
		v,
		strings.ReplaceAll(v, "\r", "\n"),
		strings.ReplaceAll(v, "\r", "\r\n"),
		"log: second-line-s3cr3t\n", // a line on its own
	} {
		for _, chunks := range [][][]byte{{[]byte(in)}, bytewise(in)} {
			out := redactAll(t, r, chunks...)
			for _, part := range []string{"Zq9vX2", "s3cr3t", "k7Pw"} {
				if strings.Contains(out, part) {
					t.Fatalf("%q: %q", in, out)
				}
			}
		}
	}
}
