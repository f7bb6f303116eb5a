package blob_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify/blob"
)

// TestReview31SignatureMismatchBounded: an entry logging another signature
// was refused with both signatures written out in base64, at any length.
// The entry's signature is the log's (or the bundle file's) choice — a
// megabyte, from a Rekor v1 server that verify/rekorv1 asks — and the
// refusal reaches logs and audit events (rekorv1.FindEntry repeats it). A
// genuine signature (RSA-4096 at most) is still written out; a longer one
// is named by its SHA-256 and length.
func TestReview31SignatureMismatchBounded(t *testing.T) {
	t.Parallel()
	art := []byte("artifact")
	sum := sha256.Sum256(art)
	pk := base64.StdEncoding.EncodeToString([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	body := func(sig []byte) []byte {
		return []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"` +
			hex.EncodeToString(sum[:]) + `"}},"signature":{"content":"` + base64.StdEncoding.EncodeToString(sig) +
			`","publicKey":{"content":"` + pk + `"}}}}`)
	}
	huge := []byte(strings.Repeat("S", 1<<20))
	rsa4096 := []byte(strings.Repeat("r", 512))
	tests := []struct {
		name      string
		sig       []byte // the detached signature
		logged    []byte // the signature the entry logs
		writesOut []byte // a signature the error still writes out, if any
	}{
		{name: "huge logged signature", sig: []byte("signature"), logged: huge, writesOut: []byte("signature")},
		{name: "huge detached signature", sig: huge, logged: []byte("logged")},
		{name: "RSA-4096 sized signatures", sig: rsa4096, logged: []byte("logged"), writesOut: rsa4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &blob.Detached{Signature: tt.sig, Entry: &blob.LogEntry{
				Body: body(tt.logged), IntegratedTime: 1, LogID: make([]byte, 32), SET: []byte{1},
			}}
			_, err := d.Bundle(blob.Bytes(art))
			var me *blob.EntryMismatchError
			if !errors.As(err, &me) || me.Field != "signature.content" {
				t.Fatalf("Bundle: %.300v, want a signature.content *EntryMismatchError", err)
			}
			review21CheckText(t, err, strings.Repeat("S", 300))
			if tt.writesOut != nil && !strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(tt.writesOut)) {
				t.Errorf("error %.300q does not write out the signature", err)
			}
		})
	}
}
