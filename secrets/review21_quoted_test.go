package secrets_test

import (
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestReview21QuotedAfterMerge checks coreutils' quoting (printf %q, ls,
// rm's diagnostics) of a value holding a quote, a control byte or a '$',
// after text that puts every shell reading of the region out of step: a
// quote splice or a switch to $'…' (which both readings take the same
// way, so they stop being each other's complement) followed by an
// apostrophe the shell would pair otherwise (see decStarts). The first
// case is the input FuzzRedactEncodings failed on
// (testdata/fuzz/FuzzRedactEncodings/review21_quoted), cut down to the
// text before the form that put it out of step.
func TestReview21QuotedAfterMerge(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ secret, pre string }{
		{"'0000\x00 $", `'\''0 `},
		{"'0000\x00 $", `0 "'\''0000\000 $" '\''0 `},
		{"'s3 cr3t\x01x$", "rm: cannot remove 'it'\\''s': No such file\ncouldn't: rm: cannot remove "},
		{"'s3 cr3t\x01x$", "rm: cannot remove 'a'$'\\001''b': No such file\ncouldn't: rm: cannot remove "},
		{"s3 cr3t'\x1b$x", "ls: 'a'$'\\t''b' isn't "},
		{"'$s3cr3t\x7f", "'\\''' rm: cannot remove "},
		// A value whose first '…' holds a space and a backslash or
		// ends in '$': read outside quotes, that differs (decStarts).
		{"s3 \\cr3t'\x01", `'\''0 `},
		{"s3 c$'r3t\x01", "rm: cannot remove 'a'$'\\001''b': No such file\ncouldn't: rm: cannot remove "},
		{"s3 cr3t$\x01", "'a'$'\\001''b' isn't "},
	} {
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(c.secret); err != nil {
			t.Fatal(err)
		}
		form := coreutilsQuote(c.secret)
		out := redactAll(t, r, []byte(c.pre+form+": No such file\n"))
		if strings.Contains(out, form) || !strings.Contains(out, secrets.Mask) {
			t.Errorf("%q after %q survived: %q", form, c.pre, out)
		}
	}
}
