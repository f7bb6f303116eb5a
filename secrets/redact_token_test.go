package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/redact/redacttest"
	"github.com/ztci/ztci/secrets"
)

var tokenKey = []byte("0123456789abcdef-token-key")

func TestTokenRedactor(t *testing.T) {
	t.Parallel()
	var got []secrets.Occurrence
	r, err := secrets.NewTokenRedactor(tokenKey, "job-1", secrets.WithOccurrenceHook(func(o secrets.Occurrence) { got = append(got, o) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddSecret("deploy-token", canary); err != nil {
		t.Fatal(err)
	}
	r.AddNamedMask("db password", encCanary) // shown normalised, tagged as given
	r.AddMask("unnamed-value-123")
	in := "a " + canary + " b " + canary + " c " + encCanary + " d unnamed-value-123\n"
	out := redactAll(t, r, bytewise(in)...)
	tok := r.Token("deploy-token")
	if !regexp.MustCompile(`^\[secret:deploy-token:[0-9a-f]{8}\]$`).MatchString(tok) {
		t.Fatalf("token %q", tok)
	}
	want := "a " + tok + " b " + tok + " c " + r.Token("db password") + " d " + r.Token("") + "\n"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	if strings.Contains(out, canary) || strings.Contains(fmt.Sprint(got), canary) || strings.Contains(fmt.Sprint(got), encCanary) {
		t.Fatal("value in output or occurrences")
	}
	wantOcc := []secrets.Occurrence{
		{Name: "deploy-token", Token: tok, Offset: 2},
		{Name: "deploy-token", Token: tok, Offset: int64(2 + len(canary) + 3)},
		{Name: "db_password", Token: r.Token("db password"), Offset: int64(2 + 2*len(canary) + 6)},
		{Name: "", Token: r.Token(""), Offset: int64(2 + 2*len(canary) + 9 + len(encCanary))},
	}
	if fmt.Sprint(got) != fmt.Sprint(wantOcc) {
		t.Fatalf("occurrences %v, want %v", got, wantOcc)
	}

	// Two names that normalise alike are shown alike and tagged apart.
	if a, b := r.Token("db password"), r.Token("db_password"); a == b || a[:len("[secret:db_password:")] != b[:len("[secret:db_password:")] {
		t.Errorf("Token(\"db password\") = %s, Token(\"db_password\") = %s: want one shown name, two tags", a, b)
	}

	other, _ := secrets.NewTokenRedactor(tokenKey, "job-2")
	otherKey, _ := secrets.NewTokenRedactor([]byte("another-key-of-16+bytes"), "job-1")
	if other.Token("deploy-token") == tok || otherKey.Token("deploy-token") == tok || r.Token("db") == tok {
		t.Fatal("token does not depend on job, key and name")
	}
	again, _ := secrets.NewTokenRedactor(tokenKey, "job-1")
	if again.Token("deploy-token") != tok {
		t.Fatal("token not stable within a job")
	}
}

func TestTokenRedactorConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		key  []byte
		job  string
		opts []secrets.RedactOption
	}{
		{name: "short key", key: []byte("short"), job: "j"},
		{name: "no job", key: tokenKey},
		{name: "nil hook", key: tokenKey, job: "j", opts: []secrets.RedactOption{secrets.WithOccurrenceHook(nil)}},
		{name: "nil option", key: tokenKey, job: "j", opts: []secrets.RedactOption{nil}},
	} {
		if _, err := secrets.NewTokenRedactor(tt.key, tt.job, tt.opts...); !errors.Is(err, secrets.ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tt.name, err)
		}
	}
}

// TestBrokerNamesMaskedSecrets checks the broker registers values with
// their names when the masker takes them.
func TestBrokerNamesMaskedSecrets(t *testing.T) {
	t.Parallel()
	r, _ := secrets.NewTokenRedactor(tokenKey, "run-1")
	b := newBroker(t, secrets.Static{"db": canary}, secrets.WithMasker(r))
	err := b.Run(t.Context(), spec("run-1"), func(ctx context.Context, j *secrets.Job) error {
		_, err := j.Lease(ctx, "db")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := redactAll(t, r, []byte(canary)); out != r.Token("db") {
		t.Fatalf("got %q, want %q", out, r.Token("db"))
	}
}

// A token redactor says which secret appeared, and reports where.
func ExampleNewTokenRedactor() {
	key := []byte("per-deployment-key-from-a-kms!!") // never derived from a value
	red, err := secrets.NewTokenRedactor(key, "run-42", secrets.WithOccurrenceHook(func(o secrets.Occurrence) {
		fmt.Fprintf(os.Stderr, "audit: %s at byte %d\n", o.Name, o.Offset)
	}))
	if err != nil {
		panic(err)
	}
	// AddSecret refuses a value too short to mask: that secret would go
	// out unmasked, so the job must not get it.
	if err := red.AddSecret("deploy-token", "tok-7f3a9c1e5b2d"); err != nil {
		panic(err)
	}
	w := red.NewWriter(os.Stdout)
	fmt.Fprintln(w, "pushing with tok-7f3a9c1e5b2d")
	if err := w.Close(); err != nil { // flushes what the redactor held back
		panic(err)
	}
	fmt.Println(red.Token("deploy-token")) // what an operator looks for
	// Output:
	// pushing with [secret:deploy-token:4544c7dd]
	// [secret:deploy-token:4544c7dd]
}

// BenchmarkRedactTokens compares token redaction with *** masking on the
// same stream and secrets.
func BenchmarkRedactTokens(b *testing.B) {
	bs := benchTypical()
	tr, _ := secrets.NewTokenRedactor(tokenKey, "bench", secrets.WithOccurrenceHook(func(secrets.Occurrence) {}))
	for i, s := range bs.secrets {
		tr.AddSecret(fmt.Sprintf("secret-%d", i), s)
	}
	for _, c := range []struct {
		name string
		r    *secrets.Redactor
	}{{"mask", bs.r}, {"tokens", tr}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(bs.data)))
			b.ReportAllocs()
			perCPU(b, len(bs.data), func() {
				w := c.r.NewWriter(io.Discard)
				for off := 0; off < len(bs.data); off += 32 << 10 {
					if _, err := w.Write(bs.data[off:min(off+32<<10, len(bs.data))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// TestRedactorPrintsNoValues checks that printing, logging or marshalling a
// Redactor or a RedactWriter shows neither the values registered, nor the
// token key, nor the bytes a writer holds back (which are not masked yet):
// fmt's default %v of the structs printed all three.
func TestRedactorPrintsNoValues(t *testing.T) {
	t.Parallel()
	for _, tokens := range []bool{false, true} {
		r := secrets.NewRedactor()
		if tokens {
			r, _ = secrets.NewTokenRedactor(tokenKey, "job")
		}
		if err := r.AddSecret("db", canary); err != nil {
			t.Fatal(err)
		}
		redacttest.Check(t, r, canary, "secrets.Redactor")
		redacttest.Check(t, r, string(tokenKey), "")
		w := r.NewWriter(io.Discard)
		w.Write([]byte("log " + canary[:len(canary)-1])) // held back: it may be the start of the secret
		redacttest.Check(t, w, canary[:len(canary)-1], "secrets.RedactWriter")
		for _, verb := range redacttest.Verbs {
			if got := fmt.Sprintf(verb, w); verb != "%T" && strings.Contains(got, "67 65 78") { // "CAN" as %v of []byte
				t.Errorf("%s of a RedactWriter prints what it holds back: %s", verb, got)
			}
		}
	}
}
