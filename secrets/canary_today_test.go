package secrets_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// Canaries of today's redactor paths: a secret long enough to mask, and
// one a byte short of MinMaskLen, which AddSecrets refuses.
const (
	canaryLong  = "CANARY-named-secret-71c3e9"
	canaryShort = "Kq7#zW2"
)

// canaryForms are the spellings of the canaries a leak would take.
func canaryForms() []string {
	var out []string
	for _, s := range []string{canaryLong, canaryShort} {
		out = append(out, s, hex.EncodeToString([]byte(s)), fmt.Sprintf("% x", s), strings.Trim(fmt.Sprint([]byte(s)), "[]"))
	}
	return out
}

func assertNoCanaryIn(t *testing.T, route, out string) {
	t.Helper()
	for _, f := range canaryForms() {
		if strings.Contains(out, f) {
			t.Errorf("%s holds %q: %.300s", route, f, out)
		}
	}
}

// TestCanaryNamedSecretsLeakNothing: a NamedSecret, alone or in the batch
// given to AddSecrets, printed with every verb, logged at Debug by the
// text and JSON handlers and marshalled as JSON, shows its name and never
// its value; the joined ErrTooShort refusal of the short one, printed and
// logged, names its index only; a redactor and a writer holding the
// secrets print none of them.
func TestCanaryNamedSecretsLeakNothing(t *testing.T) {
	batch := []secrets.NamedSecret{
		{Name: "deploy-key", Value: secrets.NewValue(canaryLong)},
		{Name: "pin", Value: secrets.NewValue(canaryShort)},
	}
	for _, r := range []func() *secrets.Redactor{secrets.NewRedactor, func() *secrets.Redactor {
		r, err := secrets.NewTokenRedactor(bytes.Repeat([]byte{7}, secrets.MinTokenKeyLen), "job-1")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}} {
		red := r()
		err := red.AddSecrets(batch...)
		if err == nil || red.Refused() != 1 {
			t.Fatalf("AddSecrets: %v, refused %d; want the short one refused", err, red.Refused())
		}
		var logs bytes.Buffer
		for _, h := range []slog.Handler{
			slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
			slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		} {
			slog.New(h).Debug("registering", "batch", batch, "first", batch[0], "error", err, "redactor", red,
				slog.Group("g", "secret", batch[1]))
		}
		var out bytes.Buffer
		w := red.NewWriter(&out)
		_, _ = fmt.Fprintf(w, "%s\n%s", canaryLong, hex.Dump([]byte(canaryLong)))
		flushErr := w.Close()
		js, _ := json.Marshal(map[string]any{"batch": batch, "redactor": red, "writer": w})
		printed := fmt.Sprintf("%v %+v %#v %s %q %x %X | %v %+v %#v | %v %+v %#v %x",
			batch, batch, batch, batch, batch, batch, batch, err, err, err, red, red, red, w)
		assertNoCanaryIn(t, "printed", printed+fmt.Sprint(flushErr))
		assertNoCanaryIn(t, "log", logs.String())
		assertNoCanaryIn(t, "json", string(js))
		assertNoCanaryIn(t, "redacted output", out.String())
		if !strings.Contains(printed, "deploy-key") || !strings.Contains(err.Error(), "secret 1:") {
			t.Errorf("the name or the index is missing: %s", printed)
		}
	}
}
