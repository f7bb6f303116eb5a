package secrets_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestReview21CaseAndReversed: a value upper- or lower-cased (.NET's
// Convert.ToHexString of a hex key, ${v^^}) or reversed (which a bidi
// override draws forwards) came through whole.
func TestReview21CaseAndReversed(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"hunter2Secret99xyz", "9f86d081884c7d659a2feaa0c55ad015", "Grüße-an-Zürich-42"} {
		r := secrets.NewRedactor()
		r.AddMask(secret)
		rev := []rune(secret)
		slices.Reverse(rev)
		for _, form := range []string{strings.ToUpper(secret), strings.ToLower(secret), string(rev), "\u202e" + string(rev) + "\u202c"} {
			in := "k=" + form + "\n"
			for _, chunks := range [][][]byte{{[]byte(in)}, bytewise(in)} {
				if out := redactAll(t, r, chunks...); strings.Contains(out, strings.Trim(form, "\u202e\u202c")) || !strings.Contains(out, secrets.Mask) {
					t.Errorf("%q written as %+q: %+q", secret, form, out)
				}
			}
		}
	}
}
