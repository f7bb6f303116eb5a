package secrets_test

import (
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// Backspaces: a terminal moves the cursor back a cell for each and draws
// the next character over the one there. A job that printed its secret
// with junk and a backspace between every two characters ("pX\baX\b5…"),
// or overstruck as nroff writes bold ("p\bpa\ba…") or underline
// ("_\bp_\ba…"), showed it whole to anyone who read the log in a terminal
// (cat of a raw log, kubectl logs, less -R), unmasked. This was a
// documented limit.

// overstrike returns s with each character written by f.
func overstrike(s string, f func(c string) string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(f(string(r)))
	}
	return b.String()
}

// first returns the first character of s.
func first(s string) string { return string([]rune(s)[:1]) }

// TestReview32Backspace checks values drawn whole over backspaces, however
// the stream is split.
func TestReview32Backspace(t *testing.T) {
	t.Parallel()
	var cs []classCase
	for _, s := range []string{"pa55w0rd", "Grüße-an-Zürich-42"} {
		cs = append(cs,
			classCase{encoder: "junk and a backspace between", secret: s, pre: "token=", form: between(s, "X\b"), post: "\n"},
			classCase{encoder: "two junk and two backspaces between", secret: s, pre: "token=", form: between(s, "XY\b\b"), post: "\n"},
			classCase{encoder: "non-ASCII junk and a backspace between", secret: s, pre: "token=", form: between(s, "é\b"), post: "\n"},
			// The mask starts at the value's first character drawn: the
			// one overstruck before it is not part of the value.
			classCase{encoder: "nroff bold", secret: s, pre: "token=" + first(s) + "\b", form: overstrike(s, func(c string) string { return c + "\b" + c })[len(first(s))+1:], post: "\n"},
			classCase{encoder: "nroff underline", secret: s, pre: "token=_\b", form: overstrike(s, func(c string) string { return "_\b" + c })[2:], post: "\n"},
			classCase{encoder: "part erased and written again", secret: s, pre: "token=", form: string([]rune(s)[:3]) + "\b\b" + string([]rune(s)[1:]), post: "\n"},
		)
	}
	for _, c := range cs {
		t.Run(c.encoder+"/"+c.secret, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, max(1, len(c.pre+c.form+c.post)/40))
		})
	}
}

// TestReview32BackspaceTextKept checks that text with backspaces but no
// value comes out as it went in, and that backspaces that erase part of a
// value (it is not drawn whole) leave it as it was.
func TestReview32BackspaceTextKept(t *testing.T) {
	t.Parallel()
	secret := "s3cr3tCANARY42"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	for _, in := range []string{
		"progress 10%\b\b\b20%\b\b\b30%\n",
		"\b\b\bstart with backspaces\n",
		secret[:6] + "\b" + secret[6:] + "\n", // draws s3cr3CANARY42
		secret[:6] + "XY\b" + secret[6:] + "\n",
	} {
		if out := redactAll(t, r, []byte(in)); out != in {
			t.Errorf("%q came out as %q", in, out)
		}
		if out := redactAll(t, r, bytewise(in)...); out != in {
			t.Errorf("%q, a byte a write, came out as %q", in, out)
		}
	}
}
