package secrets_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// realEncoded is an entry of testdata/encoders/encoded.json: what a real
// encoder (Python 3, node, Java, Perl, bash; PHP and Ruby reproduced from
// their documentation) wrote for a secret, and the text it wrote around it.
// testdata/encoders/gen.py regenerates the file.
type realEncoded struct {
	Secret  string `json:"secret"`
	Encoder string `json:"encoder"`
	Pre     string `json:"pre"`
	Form    string `json:"form"`
	Form64  []byte `json:"form64"` // base64 in the file
	Post    string `json:"post"`
}

// TestRedactRealEncoders writes what real encoders produced for secrets
// holding every character they escape differently, in one write, byte by
// byte and split in two at many points, and checks that nothing of the
// secret survives: the output is the text around it with the encoded form
// replaced by masks, and at most the quotes the encoder put around it.
func TestRedactRealEncoders(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/encoders/encoded.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []realEncoded
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 1000 {
		t.Fatalf("%d vectors; testdata/encoders/encoded.json is truncated", len(vs))
	}
	for _, v := range vs {
		if v.Form64 != nil {
			v.Form = string(v.Form64)
		}
		t.Run(v.Encoder, func(t *testing.T) {
			t.Parallel()
			// What may remain is the encoders' quoting: "…", '…', $'…',
			// b'…' (Python bytes), '"…"' (JSON, then shell-quoted).
			checkForm(t, form{secret: v.Secret, encoder: v.Encoder, pre: v.Pre, form: v.Form, post: v.Post}, `"'$b`, 4, max(1, len(v.Form)/64))
		})
	}
}

// form is a secret as an encoder wrote it, with the text the encoder wrote
// right before and after it.
type form struct{ secret, encoder, pre, form, post string }

// checkForm writes f, between other text, to a redactor of f.secret in one
// write, byte by byte and split every step bytes, and fails unless all
// that comes out of the form is masks and at most maxLeft bytes of the
// encoder's quoting (bytes of quotes).
func checkForm(t *testing.T, f form, quotes string, maxLeft, step int) {
	t.Helper()
	r := secrets.NewRedactor()
	if err := r.AddMaskChecked(f.secret); err != nil {
		t.Fatal(err)
	}
	pre, post := "log: "+f.pre, f.post+" end"
	in := pre + f.form + post
	check := func(how, out string) {
		t.Helper()
		mid, ok := strings.CutPrefix(out, pre)
		if ok {
			mid, ok = strings.CutSuffix(mid, post)
		}
		left := strings.ReplaceAll(mid, secrets.Mask, "")
		if !ok || !strings.Contains(mid, secrets.Mask) || strings.Trim(left, quotes) != "" || len(left) > maxLeft {
			t.Fatalf("%s: secret %q, %s wrote %q: output %q", how, f.secret, f.encoder, f.form, out)
		}
	}
	check("one write", redactAll(t, r, []byte(in)))
	check("byte by byte", redactAll(t, r, bytewise(in)...))
	for i := 1; i < len(in); i += step {
		check(fmt.Sprintf("split at %d", i), redactAll(t, r, []byte(in[:i]), []byte(in[i:])))
	}
}
