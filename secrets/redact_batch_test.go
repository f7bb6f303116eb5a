package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// batchCase is a registration: the arguments of one AddSecret call.
type batchCase struct{ name, value string }

// batchCases exercises what registration decides besides the patterns:
// the first name wins, an unnamed value takes the first name given later,
// a name that spells a value gets a token without it (and a value that a
// token registered earlier spells changes that token), a short value is
// refused, and multi-line and PEM-sized values bring their line and
// wrapped-base64 patterns.
func batchCases() []batchCase {
	pems := pemSecrets(2)
	return []batchCase{
		{"db", "db-password-0123"},
		{"db-again", "db-password-0123"},
		{"", "unnamed-first-4567"},
		{"api", "unnamed-first-4567"},
		{"short", "tiny"},
		{"pem-key", pems[0]},
		{"spelled-by-later", "token-0123456789abcdef"},
		{"token-0123456789abcdef", "named-after-a-value"},
		{"holds later-value-89ab", "multi\nline-secret-0001\n  indented-line-02"},
		{"", "later-value-89ab"},
		{"pem-2", pems[1]},
	}
}

// pemSecrets returns n distinct PEM-sized values: 1.7 KB private keys,
// RSA and EC in turn. (Two keys with the same header lines share those
// lines' patterns, and which of the two a token names where one of them
// occurs then depends on the order of the matcher's patterns, which
// differs between two matchers built alike: the test comparing a batch
// with one-by-one registrations would compare that order.)
func pemSecrets(n int) []string {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	out := make([]string, n)
	for i := range out {
		der := make([]byte, 1218)
		for j := range der {
			der[j] = byte(rng.Uint32())
		}
		label := []string{"RSA PRIVATE KEY", "EC PRIVATE KEY"}[i%2]
		out[i] = "-----BEGIN " + label + "-----\n" + wrapLines(base64.StdEncoding.EncodeToString(der), 64, "\n", "") + "\n-----END " + label + "-----\n"
	}
	return out
}

// batchCorpus is a log holding each value of cs raw, in some of its
// encodings, and split across lines, as each redactor writes it.
func batchCorpus(cs []batchCase) []byte {
	var b bytes.Buffer
	for _, c := range cs {
		q, _ := json.Marshal(c.value)
		fmt.Fprintf(&b, "raw %s end\n", c.value)
		fmt.Fprintf(&b, "b64 %s hex %s json %s\n", base64.StdEncoding.EncodeToString([]byte("u:"+c.value)), hex.EncodeToString([]byte(c.value)), q)
		fmt.Fprintf(&b, "wrapped\n%s\n", wrapLines(base64.StdEncoding.EncodeToString([]byte(c.value)), 76, "\n", ""))
		fmt.Fprintf(&b, "name %s\n", c.name)
	}
	return b.Bytes()
}

// redactInWrites writes data through a new writer of r in writes of 100 bytes.
func redactInWrites(t *testing.T, r *secrets.Redactor, data []byte) string {
	t.Helper()
	var out bytes.Buffer
	w := r.NewWriter(&out)
	for off := 0; off < len(data); off += 100 {
		if _, err := w.Write(data[off:min(off+100, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); !errors.Is(err, secrets.ErrTooShort) {
		t.Fatalf("Close = %v, want ErrTooShort (a value was refused)", err)
	}
	return out.String()
}

// A batch registers what AddSecret called for each of its secrets in order
// registers: the same names, tokens and refusals, so a log is masked
// byte for byte the same, with *** and with tokens.
func TestAddSecretsEqualsAddSecretInOrder(t *testing.T) {
	t.Parallel()
	cs := batchCases()
	corpus := batchCorpus(cs)
	for _, tokens := range []bool{false, true} {
		t.Run(map[bool]string{false: "mask", true: "tokens"}[tokens], func(t *testing.T) {
			t.Parallel()
			newRedactor := func() *secrets.Redactor {
				if !tokens {
					return secrets.NewRedactor()
				}
				r, err := secrets.NewTokenRedactor([]byte("0123456789abcdef"), "job-1")
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			one, batch := newRedactor(), newRedactor()
			var batchArgs []secrets.NamedSecret
			for _, c := range cs {
				err := one.AddSecret(c.name, c.value)
				if short := len(c.value) < secrets.MinMaskLen; short != errors.Is(err, secrets.ErrTooShort) {
					t.Fatalf("AddSecret(%q) = %v", c.name, err)
				}
				batchArgs = append(batchArgs, secrets.NamedSecret{Name: c.name, Value: secrets.NewValue(c.value)})
			}
			if err := batch.AddSecrets(batchArgs...); !errors.Is(err, secrets.ErrTooShort) {
				t.Fatalf("AddSecrets = %v, want ErrTooShort for the short value", err)
			}
			if one.Refused() != 1 || batch.Refused() != 1 {
				t.Errorf("Refused: one by one %d, batch %d, want 1", one.Refused(), batch.Refused())
			}
			if one.Patterns() != batch.Patterns() || one.String() != batch.String() {
				t.Errorf("one by one %v with %d patterns, batch %v with %d", one, one.Patterns(), batch, batch.Patterns())
			}
			want, got := redactInWrites(t, one, corpus), redactInWrites(t, batch, corpus)
			if got != want {
				t.Fatalf("a batch masks differently:\n--- one by one\n%s\n--- batch\n%s", want, got)
			}
			for _, c := range cs {
				if len(c.value) >= secrets.MinMaskLen && strings.Contains(got, c.value) {
					t.Errorf("%q leaked", c.name)
				}
			}
		})
	}
}

// A short value in a batch refuses only itself: the others are masked, and
// the error says which one was refused without holding it.
func TestAddSecretsRefusesOnlyTheShortValue(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	err := r.AddSecrets(
		secrets.NamedSecret{Name: "a", Value: secrets.NewValue("first-secret-0001")},
		secrets.NamedSecret{Name: "b", Value: secrets.NewValue("pw1234")},
		secrets.NamedSecret{Name: "c", Value: secrets.NewValue("third-secret-0003")},
		secrets.NamedSecret{Name: "d"},
	)
	if !errors.Is(err, secrets.ErrTooShort) || strings.Contains(err.Error(), "pw1234") {
		t.Fatalf("AddSecrets = %v, want ErrTooShort without the value", err)
	}
	if !strings.Contains(err.Error(), "secret 1:") || !strings.Contains(err.Error(), "secret 3:") {
		t.Errorf("AddSecrets = %v, want the refused values' indexes", err)
	}
	if r.Refused() != 2 {
		t.Errorf("Refused = %d, want 2", r.Refused())
	}
	var out bytes.Buffer
	w := r.NewWriter(&out)
	fmt.Fprint(w, "first-secret-0001 third-secret-0003")
	if err := w.Close(); !errors.Is(err, secrets.ErrTooShort) {
		t.Errorf("Close = %v, want ErrTooShort", err)
	}
	if out.String() != "*** ***" {
		t.Errorf("got %q, want both valid secrets masked", out.String())
	}
	if s := fmt.Sprintf("%v %+v %#v", secrets.NamedSecret{Name: "a", Value: secrets.NewValue("first-secret-0001")}, secrets.NamedSecret{Value: secrets.NewValue("first-secret-0001")}, secrets.NamedSecret{Value: secrets.NewValue("first-secret-0001")}); strings.Contains(s, "first-secret") {
		t.Errorf("a NamedSecret prints its value: %s", s)
	}
}

// Writers redacting while a batch is added see all of its secrets or none
// of them: a line holding the batch's first and last secret is never
// masked in part.
func TestAddSecretsWritersSeeWholeBatch(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	if err := r.AddSecret("before", "registered-before-0000"); err != nil {
		t.Fatal(err)
	}
	var batch []secrets.NamedSecret
	for i := range 40 {
		batch = append(batch, secrets.NamedSecret{Name: fmt.Sprint("s", i), Value: secrets.NewValue(fmt.Sprintf("batch-secret-%04d-%x", i, i*7919))})
	}
	first, last := batch[0].Value.Reveal(), batch[len(batch)-1].Value.Reveal()
	line := "registered-before-0000 " + first + " " + last + "\n"
	before, after := "*** "+first+" "+last+"\n", "*** *** ***\n"

	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				var out bytes.Buffer
				w := r.NewWriter(&out)
				_, _ = io.WriteString(w, line)
				if err := w.Close(); err != nil {
					t.Error(err)
					return
				}
				if got := out.String(); got != before && got != after {
					t.Errorf("a writer saw part of the batch: %q", got)
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	err := r.AddSecrets(batch...)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := r.NewWriter(&out)
	_, _ = io.WriteString(w, line)
	if err := w.Close(); err != nil || out.String() != after {
		t.Fatalf("after the batch: %q, %v", out.String(), err)
	}
}

// BenchmarkRedactorRegister compares registering secrets one by one, each
// call rebuilding the matcher, with one batch.
func BenchmarkRedactorRegister(b *testing.B) {
	short := make([]string, 100)
	for i := range short {
		short[i] = fmt.Sprintf("secret-%03d-%x", i, uint64(i)*0x9e3779b97f4a7c15)
	}
	for _, set := range []struct {
		name   string
		values []string
	}{{"100-secrets", short}, {"20-pem-keys", pemSecrets(20)}} {
		batch := make([]secrets.NamedSecret, len(set.values))
		for i, v := range set.values {
			batch[i] = secrets.NamedSecret{Name: fmt.Sprint("s", i), Value: secrets.NewValue(v)}
		}
		b.Run(set.name+"/one-by-one", func(b *testing.B) {
			for b.Loop() {
				r := secrets.NewRedactor()
				for i, v := range set.values {
					if err := r.AddSecret(batch[i].Name, v); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(set.name+"/batch", func(b *testing.B) {
			var r *secrets.Redactor
			for b.Loop() {
				r = secrets.NewRedactor()
				if err := r.AddSecrets(batch...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Patterns()), "patterns")
		})
	}
}
