package secrets_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

var review7Key = bytes.Repeat([]byte{0x42}, 32)

// The job and the name are encoded unambiguously, the tag depends on the
// name and the job but never on the value, and tokens are stable.
func TestReview7TokenEncoding(t *testing.T) {
	t.Parallel()
	ab, _ := secrets.NewTokenRedactor(review7Key, "a:b")
	a, _ := secrets.NewTokenRedactor(review7Key, "a")
	if tagOf(ab.Token("c")) == tagOf(a.Token("b:c")) {
		t.Fatal(`job "a:b" + name "c" and job "a" + name "b:c" share a tag`)
	}
	again, _ := secrets.NewTokenRedactor(review7Key, "a")
	if a.Token("x") != again.Token("x") {
		t.Fatal("token not stable within a job")
	}
	var o1, o2 bytes.Buffer
	for _, c := range []struct {
		v   string
		out *bytes.Buffer
	}{{"value-one-aaaa", &o1}, {"value-two-bbbb", &o2}} {
		r, _ := secrets.NewTokenRedactor(review7Key, "j")
		_ = r.AddSecret("same", c.v)
		w := r.NewWriter(c.out)
		_, _ = w.Write([]byte(c.v))
		_ = w.Close()
	}
	if o1.String() != o2.String() {
		t.Fatalf("token depends on the value: %q vs %q", o1.String(), o2.String())
	}
}

func tagOf(tok string) string { return tok[strings.LastIndexByte(tok, ':')+1:] }

// Neither the key nor a value reaches text through fmt or slog.
func TestReview7TokenRedactorPrints(t *testing.T) {
	t.Parallel()
	key := []byte("canary-key-0123456789abcdef")
	r, _ := secrets.NewTokenRedactor(key, "job")
	_ = r.AddSecret("n", "canary-value-xyz")
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("r", "r", r, "w", r.NewWriter(&bytes.Buffer{}))
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("r", "r", r)
	text := fmt.Sprintf("%v %+v %#v %s %q %x %d", r, r, r, r, r, r, r) + logged.String()
	for _, c := range []string{"canary-key", "canary-value", fmt.Sprintf("%x", key), fmt.Sprintf("%x", "canary-value-xyz")} {
		if strings.Contains(text, c) {
			t.Fatalf("%q printed: %s", c, text)
		}
	}
}
