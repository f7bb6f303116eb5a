package secrets_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// toolTrace is an entry of testdata/encoders/review16.json: what curl
// --trace, curl --trace-ascii and git's GIT_TRACE printed of a secret
// (review16.py regenerates the file).
type toolTrace struct {
	Secret  string `json:"secret"`
	Encoder string `json:"encoder"`
	Form    string `json:"form"`
}

func readToolTraces(t *testing.T, prefix string) []toolTrace {
	t.Helper()
	raw, err := os.ReadFile("testdata/encoders/review16.json")
	if err != nil {
		t.Fatal(err)
	}
	var all, vs []toolTrace
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		if strings.HasPrefix(v.Encoder, prefix) {
			vs = append(vs, v)
		}
	}
	if len(vs) < 8 {
		t.Fatalf("%d %q vectors; review16.json is truncated", len(vs), prefix)
	}
	return vs
}

// TestReview16CurlTrace: curl --trace dumps what it sends as hex, 16 bytes
// a line after a 4-digit offset, with each byte's two digits followed by a
// space and the ASCII column right after the last one, a single space from
// its digits. The dump reader wanted two spaces before an ASCII column
// (xxd -g1, hexdump -C), so such a line was not read as a dump: a token
// sent in a header (Authorization: Bearer …) came through in both columns
// until a sixteenth outside review. Every offset of the value in a line is
// tried (the header's name padded).
func TestReview16CurlTrace(t *testing.T) {
	t.Parallel()
	for _, v := range readToolTraces(t, "curl --trace,") {
		t.Run(v.Encoder, func(t *testing.T) {
			t.Parallel()
			r := secrets.NewRedactor()
			if err := r.AddMaskChecked(v.Secret); err != nil {
				t.Fatal(err)
			}
			in := "log:\n" + v.Form + "end\n"
			check := func(how string, chunks ...[]byte) {
				t.Helper()
				out := redactAll(t, r, chunks...)
				if !strings.Contains(out, "GET / HTTP/1.1..\n") || !strings.HasSuffix(out, "\nend\n") || strings.Count(out, secrets.Mask) != 1 {
					t.Fatalf("%s: secret %q traced as\n%s\noutput\n%s", how, v.Secret, v.Form, out)
				}
				if leak := dumpLeak(out, v.Secret); leak != "" {
					t.Fatalf("%s: secret %q traced as\n%s\n%q survives in\n%s", how, v.Secret, v.Form, leak, out)
				}
			}
			check("one write", []byte(in))
			check("byte by byte", bytewise(in)...)
			for i := 1; i < len(in); i += max(1, len(in)/16) {
				check(fmt.Sprintf("split at %d", i), []byte(in[:i]), []byte(in[i:]))
			}
		})
	}
}

// TestReview16GitTrace: git quotes the arguments it traces (GIT_TRACE=1:
// git config's value, a clone or ls-remote URL with its password) and the
// commands it runs as sh does, and also closes the quoting around each
// '!' ('pa'\!'ss', quote.c's sq_quote_buf). Only the sh spelling was
// matched, so a value with a '!' came through until a sixteenth outside
// review.
func TestReview16GitTrace(t *testing.T) {
	t.Parallel()
	for _, v := range readToolTraces(t, "GIT_TRACE,") {
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(v.Secret); err != nil {
			t.Fatal(err)
		}
		quoted := strings.NewReplacer("'", `'\''`, "!", `'\!'`).Replace(v.Secret)
		if !strings.Contains(v.Form, quoted) {
			t.Fatalf("%s: %q does not hold %q", v.Encoder, v.Form, quoted)
		}
		in := "12:00:00.000000 git.c:460               trace: " + v.Form
		want := strings.Replace(in, quoted, secrets.Mask, 1)
		for _, chunks := range [][][]byte{{[]byte(in)}, bytewise(in)} {
			if out := redactAll(t, r, chunks...); out != want {
				t.Fatalf("%s: secret %q traced as %q: output %q, want %q", v.Encoder, v.Secret, in, out, want)
			}
		}
	}
}

// TestRedactNotMaskedReview16 pins what a sixteenth outside review added
// to the documented list of what is not masked.
func TestRedactNotMaskedReview16(t *testing.T) {
	t.Parallel()
	// curl --trace-ascii writes the raw bytes 64 a line after an offset:
	// a value that a line break splits is not masked.
	n := 0
	for _, v := range readToolTraces(t, "curl --trace-ascii,") {
		if strings.Contains(v.Form, v.Secret) {
			continue // whole on one line: masked as it is
		}
		n++
		r := secrets.NewRedactor()
		r.AddMask(v.Secret)
		if out := redactAll(t, r, []byte(v.Form)); strings.Contains(out, secrets.Mask) {
			t.Errorf("%s: %q is masked (%q); update the documented list", v.Encoder, v.Form, out)
		}
	}
	if n == 0 {
		t.Fatal("no curl --trace-ascii vector splits its secret")
	}
	// kubectl create secret docker-registry -o yaml: the password
	// JSON-escaped (Go writes '&' as \u0026), then base64 (base64 of an
	// escaped form), and "auth", base64 of user:password, base64 again.
	const pass = "Zq9!pa$$w0rd#x&y"
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{"registry.example": map[string]string{
		"username": "u", "password": pass, "auth": base64.StdEncoding.EncodeToString([]byte("u:" + pass)),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	in := "data:\n  .dockerconfigjson: " + base64.StdEncoding.EncodeToString(cfg) + "\n"
	r := secrets.NewRedactor()
	r.AddMask(pass)
	if out := redactAll(t, r, []byte(in)); out != in {
		t.Errorf("%q is masked (%q); update the documented list", in, out)
	}
}
