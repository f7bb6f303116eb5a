package blob_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

var artifact = []byte("kubectl v1.99.0 linux/amd64\n")

// detached parses f as cosign verify-blob reads it: the bundle when there is
// one, otherwise the ".sig" and ".cert".
func detached(t testing.TB, f files, withBundle bool) *blob.Detached {
	t.Helper()
	if withBundle {
		d, err := blob.ParseCosignBundle(f.bundle)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	sig, err := blob.ParseSignature(f.sig)
	if err != nil {
		t.Fatal(err)
	}
	d := &blob.Detached{Signature: sig}
	if f.cert != nil {
		if d.Certificate, err = blob.ParseCertificate(f.cert); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestVerify(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.keyless(t, release)
	f := w.signBlob(t, s, artifact, nil)
	v := w.verifier(t, expectIdentity(release))

	res, err := v.Verify(t.Context(), detached(t, f, true), blob.Bytes(artifact))
	if err != nil {
		t.Fatal(err)
	}
	if res.Signer.SAN != release.Subject || res.Signer.Issuer != release.Issuer {
		t.Fatalf("signer %+v", res.Signer)
	}
	if len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
		t.Fatalf("times %+v, want one proven by the log", res.Times)
	}

	// The ".sig" and ".cert" with the entry of the bundle: the same answer.
	d := detached(t, f, false)
	d.Entry = detached(t, f, true).Entry
	dg, err := blob.Digest(blob.Bytes(artifact).String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), d, dg); err != nil {
		t.Fatal(err)
	}
	rd, err := blob.Reader(bytes.NewReader(artifact))
	if err != nil || rd != blob.Bytes(artifact) || rd.String() != dg.String() {
		t.Fatalf("Reader: %v, %v; want %v", rd, err, dg)
	}
	if _, err := v.Verify(t.Context(), d, rd); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := keyed(t)
	f := w.signBlob(t, s, artifact, nil)
	v := w.verifier(t, verify.Expectation{Signer: s.public()})
	res, err := v.Verify(t.Context(), detached(t, f, true), blob.Bytes(artifact))
	if err != nil {
		t.Fatal(err)
	}
	if res.Signer.Kind != verify.SignerKey {
		t.Fatalf("signer %+v", res.Signer)
	}
	other := keyed(t)
	_, err = w.verifier(t, verify.Expectation{Signer: other.public()}).Verify(t.Context(), detached(t, f, true), blob.Bytes(artifact))
	if !errors.Is(err, verify.ErrVerification) {
		t.Fatalf("another key: %v", err)
	}
}

// TestTamper: every change to what was signed or logged is refused with a
// typed error naming the failed check.
func TestTamper(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.keyless(t, release)
	f := w.signBlob(t, s, artifact, nil)
	other := w.keyless(t, release) // same identity, another key and certificate
	otherFiles := w.signBlob(t, other, artifact, nil)

	editSET := func(d *blob.Detached) { d.Entry.SET[len(d.Entry.SET)-3] ^= 1 }
	cases := []struct {
		name     string
		expect   verify.Expectation
		artifact []byte
		edit     func(d *blob.Detached)
		files    *files
		is       []error
		field    string // *EntryMismatchError.Field
		idField  string // *verify.IdentityMismatchError.Field
	}{
		{name: "other artifact", artifact: []byte("kubectl v1.99.1"), is: []error{blob.ErrEntryMismatch, verify.ErrArtifactMismatch, verify.ErrTlog}, field: "data.hash"},
		{name: "swapped certificate", edit: func(d *blob.Detached) { d.Certificate = detached(t, otherFiles, false).Certificate },
			is: []error{blob.ErrEntryMismatch}, field: "signature.publicKey"},
		{name: "swapped signature", edit: func(d *blob.Detached) { d.Signature = detached(t, otherFiles, false).Signature },
			is: []error{blob.ErrEntryMismatch}, field: "signature.content"},
		{name: "signature and certificate of another signing, entry of this one", edit: func(d *blob.Detached) {
			o := detached(t, otherFiles, false)
			d.Signature, d.Certificate = o.Signature, o.Certificate
		}, is: []error{blob.ErrEntryMismatch}, field: "signature.content"},
		{name: "edited SET", edit: editSET, is: []error{verify.ErrTlog}},
		{name: "edited integrated time", edit: func(d *blob.Detached) { d.Entry.IntegratedTime-- }, is: []error{verify.ErrTlog}},
		{name: "edited log index", edit: func(d *blob.Detached) { d.Entry.LogIndex++ }, is: []error{verify.ErrTlog}},
		{name: "no entry", edit: func(d *blob.Detached) { d.Entry = nil }, is: []error{verify.ErrTlog}},
		{name: "wrong identity", expect: expectIdentity(intruder), is: []error{verify.ErrIdentityMismatch}, idField: "san"},
		{name: "key expected", expect: verify.Expectation{Signer: s.public()}, is: []error{verify.ErrIdentityMismatch}, idField: "signer-kind"},
		{name: "entry logs another kind", files: ptr(w.signBlob(t, s, artifact, func(b map[string]any) { b["kind"] = "rekord" })),
			is: []error{blob.ErrEntryMismatch}, field: "kind"},
		{name: "entry logs a key, not the certificate", files: ptr(w.signBlob(t, signer{key: s.key}, artifact, nil)), edit: func(d *blob.Detached) {
			d.Certificate = detached(t, f, false).Certificate
		}, is: []error{blob.ErrEntryMismatch}, field: "signature.publicKey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect := tc.expect
			if expect.Signer == nil {
				expect = expectIdentity(release)
			}
			ff := f
			if tc.files != nil {
				ff = *tc.files
			}
			d := detached(t, ff, true)
			if tc.edit != nil {
				tc.edit(d)
			}
			a := artifact
			if tc.artifact != nil {
				a = tc.artifact
			}
			res, err := w.verifier(t, expect).Verify(t.Context(), d, blob.Bytes(a))
			if err == nil || res != nil {
				t.Fatalf("verified: %v", res)
			}
			if !errors.Is(err, verify.ErrVerification) {
				t.Errorf("%v is not a verify.ErrVerification", err)
			}
			for _, want := range tc.is {
				if !errors.Is(err, want) {
					t.Errorf("%v is not %v", err, want)
				}
			}
			var em *blob.EntryMismatchError
			if tc.field != "" && (!errors.As(err, &em) || em.Field != tc.field) {
				t.Errorf("%v: want *EntryMismatchError on %s", err, tc.field)
			}
			var im *verify.IdentityMismatchError
			if tc.idField != "" && (!errors.As(err, &im) || im.Field != tc.idField) {
				t.Errorf("%v: want *IdentityMismatchError on %s", err, tc.idField)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestParse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.signBlob(t, w.keyless(t, release), artifact, nil)
	certPEM, _ := base64.StdEncoding.DecodeString(string(f.cert))

	if _, err := blob.ParseCertificate(certPEM); err != nil {
		t.Errorf("PEM certificate: %v", err)
	}
	if _, err := blob.ParseSignature(append(f.sig, '\n')); err != nil {
		t.Errorf("signature with a newline: %v", err)
	}
	var lsp map[string]any
	if err := json.Unmarshal(f.bundle, &lsp); err != nil {
		t.Fatal(err)
	}
	mut := func(edit func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(f.bundle, &m)
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name  string
		parse func() error
		input string
	}{
		{"signature not base64", func() error { _, err := blob.ParseSignature([]byte("not base64!")); return err }, "signature"},
		{"signature empty", func() error { _, err := blob.ParseSignature(nil); return err }, "signature"},
		{"signature two lines", func() error { _, err := blob.ParseSignature(append(append(f.sig, '\n'), f.sig...)); return err }, "signature"},
		{"certificate garbage", func() error { _, err := blob.ParseCertificate([]byte("garbage")); return err }, "certificate"},
		{"two certificates", func() error { _, err := blob.ParseCertificate(append(certPEM, certPEM...)); return err }, "certificate"},
		{"a key, not a certificate", func() error {
			_, err := blob.ParseCertificate([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
			return err
		}, "certificate"},
		{"bundle repeats a member", func() error {
			_, err := blob.ParseCosignBundle([]byte(`{"base64Signature":"AA==","base64Signature":"AQ=="}`))
			return err
		}, "bundle"},
		{"bundle case variant", func() error {
			_, err := blob.ParseCosignBundle(mut(func(m map[string]any) { m["Base64Signature"] = m["base64Signature"]; delete(m, "base64Signature") }))
			return err
		}, "bundle"},
		{"bundle unknown member", func() error {
			_, err := blob.ParseCosignBundle(mut(func(m map[string]any) { m["extra"] = 1 }))
			return err
		}, "bundle"},
		{"bundle without signature", func() error {
			_, err := blob.ParseCosignBundle(mut(func(m map[string]any) { delete(m, "base64Signature") }))
			return err
		}, "bundle"},
		{"bundle without SET", func() error {
			_, err := blob.ParseCosignBundle(mut(func(m map[string]any) { delete(m["rekorBundle"].(map[string]any), "SignedEntryTimestamp") }))
			return err
		}, "bundle"},
		{"bundle log ID upper case", func() error {
			_, err := blob.ParseCosignBundle(mut(func(m map[string]any) {
				p := m["rekorBundle"].(map[string]any)["Payload"].(map[string]any)
				p["logID"] = "AB" + p["logID"].(string)[2:]
			}))
			return err
		}, "bundle"},
		{"a Sigstore bundle", func() error {
			_, err := blob.ParseCosignBundle([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
			return err
		}, "bundle"},
		{"digest not sha256", func() error { _, err := blob.Digest("sha512:00"); return err }, "artifact digest"},
		{"digest upper case", func() error {
			_, err := blob.Digest("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
			return err
		}, "artifact digest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.parse()
			var pe *blob.ParseError
			if !errors.As(err, &pe) || pe.Input != tc.input || !errors.Is(err, blob.ErrMalformed) || !errors.Is(err, verify.ErrMalformedBundle) {
				t.Fatalf("%v: want *ParseError on %s", err, tc.input)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	if _, err := blob.NewVerifier(nil); !errors.Is(err, blob.ErrInvalidInput) {
		t.Errorf("nil verifier: %v", err)
	}
	w := newWorld(t)
	f := w.signBlob(t, w.keyless(t, release), artifact, nil)
	v := w.verifier(t, expectIdentity(release))
	if _, err := v.Verify(t.Context(), detached(t, f, true), blob.Artifact{}); !errors.Is(err, blob.ErrInvalidInput) {
		t.Errorf("zero artifact: %v", err)
	}
	if _, err := v.Verify(t.Context(), nil, blob.Bytes(artifact)); !errors.Is(err, blob.ErrMalformed) {
		t.Errorf("nil detached: %v", err)
	}
}

// TestDigests: Bytes and Reader carry the SHA-256, SHA-384 and SHA-512 (in
// that order), Digest the one it names, the zero Artifact none.
func TestDigests(t *testing.T) {
	want := []string{
		fmt.Sprintf("sha256:%x", sha256.Sum256(artifact)),
		fmt.Sprintf("sha384:%x", sha512.Sum384(artifact)),
		fmt.Sprintf("sha512:%x", sha512.Sum512(artifact)),
	}
	r, err := blob.Reader(bytes.NewReader(artifact))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []blob.Artifact{blob.Bytes(artifact), r} {
		if got := a.Digests(); !slices.Equal(got, want) {
			t.Errorf("Digests %q, want %q", got, want)
		}
	}
	for _, s := range want {
		a, err := blob.Digest(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Digests(); !slices.Equal(got, []string{s}) {
			t.Errorf("Digest(%q).Digests() = %q", s, got)
		}
	}
	if got := (blob.Artifact{}).Digests(); got != nil {
		t.Errorf("zero Artifact: %q", got)
	}
}
