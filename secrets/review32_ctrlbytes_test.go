package secrets_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// C0 control characters a terminal draws as nothing: a job that printed
// its secret with a NUL (or SOH, BEL, DEL, ...) between every two of its
// characters showed it whole to anyone who reads the log in a terminal
// (cat, less -r, kubectl logs, a downloaded raw log), and to web viewers
// that drop control characters, unmasked: only ESC sequences and Unicode's
// invisible characters were removed before matching.

// ignoredControls are the C0 controls (and DEL) that xterm and VTE neither
// draw nor move the cursor for. \b, \t, \n, \v, \f and \r move the
// cursor, and ESC starts a control sequence: they are not among them.
var ignoredControls = func() []byte {
	var out []byte
	for c := range byte(0x20) {
		switch c {
		case '\b', '\t', '\n', '\v', '\f', '\r', 0x1b:
			continue
		}
		out = append(out, c)
	}
	return append(out, 0x7f)
}()

// TestReview32CtrlBytesBetween checks each ignored control character
// between every two characters of a value, alone, in a run, and mixed with
// colour and zero-width spaces, however the stream is split.
func TestReview32CtrlBytesBetween(t *testing.T) {
	t.Parallel()
	var cs []classCase
	for _, s := range []string{"pa55w0rd", "Grüße-an-Zürich-42"} {
		for _, c := range ignoredControls {
			sep := string([]byte{c})
			// NUL between ASCII characters is also UTF-16, whose mask
			// may take the NUL next to the value.
			cs = append(cs, classCase{encoder: fmt.Sprintf("%+q between every character", sep), secret: s, pre: "token=" + sep, form: between(s, sep), post: sep + "\n", slack: boolInt(c == 0)})
		}
		cs = append(cs,
			classCase{encoder: "one NUL", secret: s, pre: "k=", form: s[:3] + "\x00" + s[3:], post: "\n"},
			classCase{encoder: "a run of NULs", secret: s, pre: "k=", form: between(s, "\x00\x00\x00\x7f"), post: "\n"},
			classCase{encoder: "NUL and colour", secret: s, pre: "k=", form: between(s, "\x00\x1b[31m"), post: "\n"},
			classCase{encoder: "NUL and zero-width space", secret: s, pre: "k=", form: between(s, "\u200b\x00"), post: "\n"},
		)
	}
	for _, c := range cs {
		t.Run(c.encoder+"/"+c.secret, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, max(1, len(c.pre+c.form+c.post)/40))
		})
	}
}

// TestReview32CtrlBytesSpread checks a value spread over more than the
// hold-back by NULs, written a byte a write: it is never written out.
func TestReview32CtrlBytesSpread(t *testing.T) {
	t.Parallel()
	secret := "s3cr3tCANARY42"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	in := "k=" + between(secret, strings.Repeat("\x00", 200)) + "\n"
	out := redactAll(t, r, bytewise(in)...)
	if shown := strings.ReplaceAll(out, "\x00", ""); strings.Contains(shown, secret) || strings.Contains(shown, secret[:8]) {
		t.Errorf("value spread by NULs written out: %q", shown)
	}
}

// TestReview32CtrlBytesTextKept checks that text with control characters
// but no value comes out as it went in, and that a value split by a
// character that moves the cursor (a tab, a line break) is not masked.
func TestReview32CtrlBytesTextKept(t *testing.T) {
	t.Parallel()
	secret := "s3cr3tCANARY42"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	for _, in := range []string{
		"plain\x00text\x07with\x7fcontrols\x01and NULs\x00\x00\n",
		secret[:6] + "\t" + secret[6:] + "\n",
		secret[:6] + "\n" + secret[6:] + "\n",
		"\x00" + secret[:6] + "\x00\n",
	} {
		if out := redactAll(t, r, []byte(in)); out != in {
			t.Errorf("%q came out as %q", in, out)
		}
		if out := redactAll(t, r, bytewise(in)...); out != in {
			t.Errorf("%q, a byte a write, came out as %q", in, out)
		}
	}
}

// TestReview32CtrlBytesInValue checks a value that holds a NUL itself: it
// reads the same without it.
func TestReview32CtrlBytesInValue(t *testing.T) {
	t.Parallel()
	secret := "pass\x00word-CANARY"
	for _, form := range []string{"password-CANARY", secret, "pass\x00\x00word-CANARY"} {
		checkClass(t, classCase{encoder: "value with a NUL", secret: secret, pre: "k=", form: form, post: "\n"}, 1)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
