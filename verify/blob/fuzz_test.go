package blob_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/verify/blob"
)

// seeds adds every file of the committed cosign vectors named name.
func seeds(f *testing.F, name string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", name))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseSignature(f *testing.F) {
	seeds(f, "artifact.sig")
	f.Add([]byte("MEUCIQ==\n"))
	f.Add([]byte(""))
	f.Add([]byte("not base64"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := blob.ParseSignature(b)
		if err != nil {
			if !errors.Is(err, blob.ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Canonical: re-encoding gives the input back, less its newline.
		if got := base64.StdEncoding.EncodeToString(sig); got != string(b) && got+"\n" != string(b) && got+"\r\n" != string(b) {
			t.Fatalf("%q parsed as %q", b, got)
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	seeds(f, "artifact.cert")
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"))
	f.Fuzz(func(t *testing.T, b []byte) {
		der, err := blob.ParseCertificate(b)
		if err != nil {
			if !errors.Is(err, blob.ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(der) == 0 {
			t.Fatal("empty certificate accepted")
		}
	})
}

func FuzzParseCosignBundle(f *testing.F) {
	seeds(f, "artifact.bundle.json")
	f.Add([]byte(`{"base64Signature":"AA==","rekorBundle":{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"00"}}}`))
	f.Add([]byte(`{"base64Signature":"AA==","base64signature":"AA=="}`))
	f.Add([]byte(`{"mediaType":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := blob.ParseCosignBundle(b)
		if err != nil {
			if !errors.Is(err, blob.ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(d.Signature) == 0 {
			t.Fatal("empty signature accepted")
		}
		if e := d.Entry; e != nil && (len(e.SET) == 0 || len(e.LogID) != 32 || e.IntegratedTime <= 0 || e.LogIndex < 0) {
			t.Fatalf("incomplete entry accepted: %+v", e)
		}
		// Converting never panics and fails only with typed errors.
		if _, err := d.Bundle(blob.Bytes([]byte("x"))); err != nil && !errors.Is(err, blob.ErrMalformed) && !errors.Is(err, blob.ErrEntryMismatch) {
			t.Fatalf("untyped conversion error %v", err)
		}
	})
}
