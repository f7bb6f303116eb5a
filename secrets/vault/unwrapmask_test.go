package vault_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// The broker's masker learns the wrapping token of a wrapped lease, never
// the secret inside: WithUnwrapMasker gives the unwrapped value to the
// job's log redactor, as every other lease's value is.
func TestUnwrapMasksTheValue(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.job(t, "wrap-mask", good, audience)
	l, err := j.Lease(t.Context(), "wrapped")
	if err != nil {
		t.Fatal(err)
	}
	wrapping, err := l.Value()
	if err != nil {
		t.Fatal(err)
	}
	redactor := secrets.NewRedactor()
	v, err := vault.Unwrap(t.Context(), client(t, f.client.Address()), wrapping, "token", vault.WithUnwrapMasker(redactor))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	w := redactor.NewWriter(&log)
	fmt.Fprintf(w, "login --token=%s\n", v.Reveal())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(log.Bytes(), []byte(kvValue)) {
		t.Fatalf("the unwrapped secret reached the log: %q", log.String())
	}
	if _, err := vault.Unwrap(t.Context(), client(t, f.client.Address()), wrapping, "token", nil); !errors.Is(err, vault.ErrUnwrap) {
		t.Fatalf("a nil option: %v, want ErrUnwrap", err)
	}
}
