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

// review21MaxErr bounds the error text an input may cause: the detached
// signature, its certificate and its Rekor entry are the attacker's until
// verified, and errors reach logs and audit events.
const review21MaxErr = 1024

// review21CheckText fails unless err is set, short, and free of control
// characters (terminal escapes, line breaks that forge log lines) and of
// the marker, which stands for text the input chose.
func review21CheckText(t *testing.T, err error, marker string) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if len(msg) > review21MaxErr {
		t.Errorf("error is %d bytes, want at most %d: %.200q...", len(msg), review21MaxErr, msg)
	}
	if strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("error carries control characters: %q", msg)
	}
	if marker != "" && strings.Contains(msg, marker) {
		t.Errorf("error repeats the input's text: %.300q", msg)
	}
}

// An unverified Rekor entry body's kind, apiVersion, hash and PEM type are
// the submitter's text: a mismatch error must say what differs without
// writing them raw (ESC sequences, newlines) or at any length.
func TestReview21EntryMismatchWithholdsBodyText(t *testing.T) {
	art := []byte("artifact")
	sum := sha256.Sum256(art)
	sig := []byte("signature")
	long := strings.Repeat("A", 64<<10)
	escJSON := `\u001b[2J\nlevel=INFO msg=verified`
	hashed := func(alg, value, pemType string) string {
		pk := base64.StdEncoding.EncodeToString([]byte("-----BEGIN " + pemType + "-----\nAAAA\n-----END " + pemType + "-----\n"))
		return `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"` + alg + `","value":"` + value + `"}},"signature":{"content":"` +
			base64.StdEncoding.EncodeToString(sig) + `","publicKey":{"content":"` + pk + `"}}}}`
	}
	for name, tc := range map[string]struct{ body, marker string }{
		"kind escape":    {`{"kind":"` + escJSON + `","apiVersion":"0.0.1","spec":{}}`, "msg=verified"},
		"kind long":      {`{"kind":"` + long + `","apiVersion":"0.0.1","spec":{}}`, long[:300]},
		"version escape": {`{"kind":"hashedrekord","apiVersion":"` + escJSON + `","spec":{}}`, "msg=verified"},
		"alg escape":     {hashed(escJSON, hex.EncodeToString(sum[:]), "PUBLIC KEY"), "msg=verified"},
		"alg long":       {hashed(long, hex.EncodeToString(sum[:]), "PUBLIC KEY"), long[:300]},
		"value escape":   {hashed("sha256", escJSON, "PUBLIC KEY"), "msg=verified"},
		"value long":     {hashed("sha256", long, "PUBLIC KEY"), long[:300]},
		"pem type":       {hashed("sha256", hex.EncodeToString(sum[:]), "X\x1b[2J"+strings.Repeat("Y", 4000)), strings.Repeat("Y", 300)},
		"unknown member": {`{"kind":"hashedrekord","apiVersion":"0.0.1","` + long + `":1}`, long[:300]},
	} {
		t.Run(name, func(t *testing.T) {
			d := &blob.Detached{Signature: sig, Entry: &blob.LogEntry{
				Body: []byte(tc.body), IntegratedTime: 1, LogID: make([]byte, 32), SET: []byte{1},
			}}
			_, err := d.Bundle(blob.Bytes(art))
			review21CheckText(t, err, tc.marker)
			if !errors.Is(err, blob.ErrEntryMismatch) && !errors.Is(err, blob.ErrMalformed) {
				t.Errorf("error %v matches neither ErrEntryMismatch nor ErrMalformed", err)
			}
		})
	}
}

// cosign's legacy bundle file and ".cert" are the attacker's too: an
// unknown member's name, a Sigstore bundle's mediaType and a PEM block's
// type must not come back at any length.
func TestReview21ParseErrorsBounded(t *testing.T) {
	long := strings.Repeat("B", 200<<10)
	for name, tc := range map[string]struct {
		parse  func([]byte) error
		in     string
		marker string
	}{
		"bundle unknown member": {func(b []byte) error { _, err := blob.ParseCosignBundle(b); return err }, `{"` + long + `":1}`, long[:300]},
		"artifact digest":       {func(b []byte) error { _, err := blob.Digest(string(b)); return err }, "sha256:" + long, long[:300]},
		"bundle mediaType":      {func(b []byte) error { _, err := blob.ParseCosignBundle(b); return err }, `{"mediaType":"` + long + `"}`, long[:300]},
		"certificate PEM type": {func(b []byte) error { _, err := blob.ParseCertificate(b); return err },
			"-----BEGIN " + long[:60<<10] + "-----\nAAAA\n-----END " + long[:60<<10] + "-----\n", long[:300]},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.parse([]byte(tc.in))
			review21CheckText(t, err, tc.marker)
			if !errors.Is(err, blob.ErrMalformed) {
				t.Errorf("error %v does not match ErrMalformed", err)
			}
		})
	}
}
