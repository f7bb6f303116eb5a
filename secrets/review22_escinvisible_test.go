package secrets_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/secrets"
)

// Escaped invisible characters: a job that printed its secret with a
// zero-width space between its characters, escaped as JSON, a string
// literal, a URL or HTML write it, showed it whole in any viewer that
// decodes the escape (a JSON log viewer, a browser), unmasked, while the
// raw zero-width space was removed before matching.

// escapedInvisibles are U+200B (and a soft hyphen and a tag character)
// as encoders escape them.
var escapedInvisibles = []struct{ encoder, sep string }{
	{"JSON", `\u200b`},
	{"JSON, upper-case hex", `\u200B`},
	{"JavaScript", `\u{200b}`},
	{"Perl", `\x{200b}`},
	{"Python bytes, C", `\xe2\x80\x8b`},
	{"octal", `\342\200\213`},
	{"JSON, soft hyphen", `\u00ad`},
	{"JSON, surrogate pair of a tag character", `\udb40\udc41`},
	{"Python, a tag character", `\U000e0041`},
	{"percent", "%E2%80%8B"},
	{"percent, lower case", "%e2%80%8b"},
	{"JavaScript escape()", "%u200B"},
	{"HTML decimal", "&#8203;"},
	{"HTML hex", "&#x200b;"},
	{"HTML name", "&ZeroWidthSpace;"},
	{"HTML soft hyphen", "&shy;"},
	{"HTML run of two kinds", "&#8203;&zwj;"},
}

// TestReview22EscapedInvisible checks each escaped invisible character
// between every two characters of a value, in one write, and a single one
// inside it however the stream is split.
func TestReview22EscapedInvisible(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"pa55w0rd-CANARY", "Grüße-an-Zürich-42"} {
		for _, e := range escapedInvisibles {
			t.Run(e.encoder+"/"+s, func(t *testing.T) {
				t.Parallel()
				r := secrets.NewRedactor()
				r.AddMask(s)
				in := "k=" + between(s, e.sep) + "\n"
				if out := redactAll(t, r, []byte(in)); out != "k="+secrets.Mask+"\n" {
					t.Errorf("between every character: %q came out as %q", in, out)
				}
				checkClass(t, classCase{encoder: e.encoder, secret: s, pre: "k=", form: s[:4] + e.sep + s[4:], post: "\n"}, 1)
			})
		}
	}
}

// TestReview22EscapedInvisibleTextKept checks that escaped invisible
// characters outside a value, and a value spread by escaped visible
// characters, come out as they went in.
func TestReview22EscapedInvisibleTextKept(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask("pa55w0rd-CANARY")
	for _, in := range []string{
		`{"msg":"zero\u200bwidth \u200b pa55w0rd\u00a0-\u00adCANARY"}` + "\n",
		"a=1&#8203;&b=2&ZeroWidthSpace;x pa55&#8203;w0rd&nbsp;-CANARY\n",
		"pa55w0rd%E2%80%8B%20-CANARY pa55%E2%80%8Cw0rd%C2%A0-CANARY\n",
		`pa55\u200bw0rd\u00a0-CANARY &#8203;&#8203; \u200b` + "\n",
	} {
		for _, chunks := range [][][]byte{{[]byte(in)}, bytewise(in)} {
			if out := redactAll(t, r, chunks...); out != in {
				t.Errorf("%q came out as %q", in, out)
			}
		}
	}
	if out := redactAll(t, r, []byte("x pa55&#8203;w0rd-CANARY\n")); strings.Contains(out, "CANARY") {
		t.Errorf("not masked: %q", out)
	}
}

// FuzzReview22EscapedInvisible writes a value with an escaped invisible
// character between every two characters, in one write, between text
// that holds the separator too, and checks that the value is masked and
// the text around it comes out as it went in.
func FuzzReview22EscapedInvisible(f *testing.F) {
	for i, e := range escapedInvisibles {
		f.Add("pa55w0rd-CANARY", e.sep, "k="+e.sep)
		f.Add("Grüße-an-Zürich-42", e.sep, []string{"", "a=1&", `"\`, "%"}[i%4])
	}
	f.Fuzz(func(t *testing.T, secret, sep, pre string) {
		if len(secret) < secrets.MinMaskLen || len(secret) > 64 || len(sep) > 32 || len(pre) > 64 ||
			!utf8.ValidString(secret) || strings.ContainsAny(secret+sep+pre, "*\x1b") {
			return
		}
		r := secrets.NewRedactor()
		if r.AddMaskChecked(secret) != nil {
			return
		}
		pre += " "
		in := pre + between(secret, sep) + " end\n"
		out := redactAll(t, r, []byte(in))
		if !strings.HasPrefix(out, pre) || !strings.HasSuffix(out, " end\n") {
			// The text around it, or its escapes, may combine with the
			// value's form; only a leak is a failure.
			if strings.Contains(out, secret) {
				t.Fatalf("%q came out as %q", in, out)
			}
			return
		}
		if mid := out[len(pre) : len(out)-len(" end\n")]; mid == between(secret, sep) && isEscapedInvisible(sep) {
			t.Fatalf("%q came out unmasked", in)
		}
	})
}

// isEscapedInvisible reports whether sep is one of escapedInvisibles.
func isEscapedInvisible(sep string) bool {
	for _, e := range escapedInvisibles {
		if e.sep == sep {
			return true
		}
	}
	return false
}
