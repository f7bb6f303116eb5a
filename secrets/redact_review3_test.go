package secrets_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// review3Forms are what real encoders wrote for secrets that a third review
// found unmasked. Each form was produced by the tool named, on Debian 12:
// GNU coreutils 9.1 (/usr/bin/printf %q and rm's diagnostics, which quote
// file names in the shell-escape style), PyYAML 6.0.3 under Python 3.11.7
// and Ruby 3.1.2's Psych (to_yaml).
var review3Forms = []struct {
	encoder, secret, pre, form, post string
}{
	// coreutils writes what it cannot print as $'…' runs between '…'
	// runs: every non-ASCII character in the C locale, control characters
	// in any.
	{
		encoder: "coreutils 9.1 printf %q, LC_ALL=C",
		secret:  "Grüße-Passwört-Ünïcödé-€uro",
		form:    `'Gr'$'\303\274\303\237''e-Passw'$'\303\266''rt-'$'\303\234''n'$'\303\257''c'$'\303\266''d'$'\303\251''-'$'\342\202\254''uro'`,
	},
	{
		encoder: "coreutils 9.1 printf %q, LC_ALL=C.UTF-8",
		secret:  "ctrl\x01\x1b[31mred\x7fdel-secret",
		form:    `'ctrl'$'\001\033''[31mred'$'\177''del-secret'`,
	},
	{
		encoder: "coreutils 9.1 printf %q, LC_ALL=C.UTF-8 (a backslash in '…' is itself)",
		secret:  "back\\slash\tand\nnewline",
		form:    `'back\slash'$'\t''and'$'\n''newline'`,
	},
	{
		encoder: "coreutils 9.1 printf %q, LC_ALL=C (quotes spliced in)",
		secret:  "it's\x01-a'quote'\\and-ä",
		form:    `'''it'\''s'$'\001''-a'\''quote'\''\and-'$'\303\244'`,
	},
	{
		encoder: "coreutils 9.1 printf %q, LC_ALL=C ('$' is a quoted $)",
		secret:  "wq$~pZk😀1|AJ4rICwjF|\\7}Ggeh<r\\ä$😀Bx3Ia\x01😀F5@aOuVi%",
		form:    `'wq$~pZk'$'\360\237\230\200''1|AJ4rICwjF|\7}Ggeh<r\'$'\303\244''$'$'\360\237\230\200''Bx3Ia'$'\001\360\237\230\200''F5@aOuVi%'`,
	},
	{
		encoder: "coreutils 9.1 printf %q, LC_ALL=C (5.5 bytes a byte)",
		secret:  "\x01'\x01'\x01'\x01'\x01'secret",
		form:    `''$'\001'\'''$'\001'\'''$'\001'\'''$'\001'\'''$'\001'\''secret'`,
	},
	// rm's diagnostic: the secret's word starts after an apostrophe
	// spliced into the quoting, in the middle of a '…' run.
	{
		encoder: "coreutils 9.1 rm diagnostic, LC_ALL=C",
		secret:  "Grüße-Passwört-Ünïcödé-€uro",
		pre:     `rm: cannot remove '/tmp/can'\''t/`,
		form:    `Gr'$'\303\274\303\237''e-Passw'$'\303\266''rt-'$'\303\234''n'$'\303\257''c'$'\303\266''d'$'\303\251''-'$'\342\202\254''uro`,
		post:    `': No such file or directory`,
	},
	{
		encoder: "coreutils 9.1 rm diagnostic, LC_ALL=C.UTF-8",
		secret:  "back\\slash\tand\nnewline",
		pre:     `rm: cannot remove '/tmp/can'\''t/`,
		form:    `back\slash'$'\t''and'$'\n''newline`,
		post:    `': No such file or directory`,
	},
	{
		encoder: "coreutils 9.1 rm diagnostic, LC_ALL=C (after a stray apostrophe)",
		secret:  "ctrl\x01\x1b[31mred\x7fdel-secret",
		pre:     `can't go on: rm: cannot remove '`,
		form:    `ctrl'$'\001\033''[31mred'$'\177''del-secret`,
		post:    `': No such file or directory`,
	},
	// zsh's ${(q)v} form (zsh was not installed: derived from zsh's
	// documented quoting, a backslash before each special character and
	// $'…' for what it cannot print).
	{
		encoder: "zsh ${(q)v} (from its documentation)",
		secret:  "a b\nc$d\x01e-secret",
		form:    `a\ b$'\n'c\$d$'\001'e-secret`,
	},
	// YAML double-quoted scalars escape U+0085, U+00A0, U+2028 and U+2029
	// as \N, \_, \L and \P.
	{
		encoder: "PyYAML 6.0.3 yaml.dump",
		secret:  "\u00a0nbsp\u2028ls\u2029ps-secret",
		pre:     `k: "`,
		form:    `\_nbsp\Lls\Pps-secret`,
		post:    "\"\n",
	},
	{
		encoder: "Ruby 3.1.2 Psych to_yaml",
		secret:  "\u00a0nbsp\u2028ls\u2029ps-secret",
		pre:     "---\nk: \"",
		form:    "\u00a0nbsp\\Lls\\Pps-secret",
		post:    "\"\n",
	},
}

// TestRedactReview3Forms writes each form in one write, byte by byte and
// split at every point, and checks that only the text around it and masks
// come out (and at most the quotes the encoder wrote at the form's ends).
func TestRedactReview3Forms(t *testing.T) {
	t.Parallel()
	for _, f := range review3Forms {
		t.Run(f.encoder, func(t *testing.T) {
			t.Parallel()
			checkForm(t, form{secret: f.secret, encoder: f.encoder, pre: f.pre, form: f.form, post: f.post}, `'$`, 6, 1)
		})
	}
}

// TestRedactReview3Flush checks that flushing in the middle of a form never
// writes out a part of the secret that is recognisable: what comes out
// before the flush is held context or masked, and a form only partly
// written by then is not masked later (as documented), but no complete
// form that was written before the flush survives it.
func TestRedactReview3Flush(t *testing.T) {
	t.Parallel()
	for _, f := range review3Forms {
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(f.secret); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w := r.NewWriter(&out)
		in := "x " + f.pre + f.form + f.post
		if _, err := w.Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(" tail " + f.pre + f.form + f.post)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), f.form) || strings.Count(out.String(), secrets.Mask) < 2 {
			t.Errorf("%s: output %q", f.encoder, out.String())
		}
	}
}

// TestRedactReview3Tokens checks that a token redactor replaces the forms
// with the secret's token and reports each occurrence at the offset where
// its form starts, without the value.
func TestRedactReview3Tokens(t *testing.T) {
	t.Parallel()
	for _, f := range review3Forms {
		var occ []secrets.Occurrence
		r, err := secrets.NewTokenRedactor([]byte("0123456789abcdef0123"), "job-1",
			secrets.WithOccurrenceHook(func(o secrets.Occurrence) { occ = append(occ, o) }))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AddSecret("db-pass", f.secret); err != nil {
			t.Fatal(err)
		}
		in := "x " + f.pre + f.form + f.post
		out := redactAll(t, r, bytewise(in)...)
		tok := r.Token("db-pass")
		if !strings.Contains(out, tok) || strings.Contains(out, f.form) || len(occ) != 1 {
			t.Fatalf("%s: output %q, %d occurrences", f.encoder, out, len(occ))
		}
		o := occ[0]
		if o.Name != "db-pass" || o.Token != tok || o.Offset < int64(len("x "+f.pre)) || o.Offset > int64(len("x "+f.pre)+4) {
			t.Errorf("%s: occurrence %+v", f.encoder, o)
		}
		if s := fmt.Sprintf("%+v %#v", o, o); strings.Contains(s, f.secret) {
			t.Errorf("%s: occurrence prints the value: %s", f.encoder, s)
		}
	}
}

// TestRedactReview3Repeats writes coreutils' form of a secret back to back,
// and a stream of nothing but its quote splices: the secret comes out
// masked as it is written, not held to Close. That time per byte does not
// grow with the input is BenchmarkRedactRepeats' to show ("coreutils",
// "quote runs", "ansi-c runs").
func TestRedactReview3Repeats(t *testing.T) {
	t.Parallel()
	f := review3Forms[0]
	r := secrets.NewRedactor()
	r.AddMask(f.secret)
	for _, unit := range []string{f.form, `'$'\`, `'$'\001''`, `$'\'`} {
		var out bytes.Buffer
		w := r.NewWriter(&out)
		chunk := []byte(strings.Repeat(unit, (64<<10)/len(unit)))
		for n := 0; n < 4<<20; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if out.Len() == 0 {
			t.Fatalf("%q repeated: nothing written before Close", unit)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if unit == f.form && strings.Trim(out.String(), "*'") != "" {
			t.Fatalf("%q repeated: output is not masks only: %q…", unit, out.String()[:64])
		}
	}
}
