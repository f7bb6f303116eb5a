package x509ca

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"
)

// testCertPEM is a self-signed root as PEM.
func testCertPEM(t testing.TB) []byte {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewRoot(k, pkix.Name{CommonName: "parse test"}, time.Unix(1_700_000_000, 0), time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	return EncodeCerts(c)
}

// TestParseCertsRefusesWhatPEMSkips: pem.Decode skips a malformed block
// and stops at an unterminated one without a word; a CA file with either
// is refused instead of read as fewer certificates.
func TestParseCertsRefusesWhatPEMSkips(t *testing.T) {
	t.Parallel()
	c := testCertPEM(t)
	malformed := []byte("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for name, in := range map[string][]byte{
		"malformed between":  join(c, malformed, c),
		"malformed last":     join(c, malformed),
		"unterminated last":  join(c, c[:len(c)/2]),
		"another block type": join(c, bytes.ReplaceAll(c, []byte("CERTIFICATE"), []byte("PRIVATE KEY"))),
		"not a certificate":  []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"no block":           []byte("nothing"),
	} {
		if got, err := ParseCerts(in); !errors.Is(err, ErrBadPEM) || got != nil {
			t.Errorf("%s: got %d certificates, %v; want ErrBadPEM", name, len(got), err)
		}
	}
	for name, in := range map[string][]byte{
		"two":                 join(c, c),
		"openssl text before": join([]byte("subject=CN = parse test\n"), c),
		"blank lines between": join(c, []byte("\n\n"), c),
	} {
		if _, err := ParseCerts(in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParseCerts(f *testing.F) {
	c := testCertPEM(f)
	f.Add(c)
	f.Add(append(append([]byte{}, c...), c...))
	f.Add(c[:len(c)-10])
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		certs, err := ParseCerts(b)
		if err != nil {
			if certs != nil || !errors.Is(err, ErrBadPEM) {
				t.Fatalf("got %d certificates with %v", len(certs), err)
			}
			return
		}
		if len(certs) == 0 || len(certs) != bytes.Count(b, pemBegin) {
			t.Fatalf("%d certificates from %d blocks", len(certs), bytes.Count(b, pemBegin))
		}
		for _, c := range certs {
			if _, err := x509.ParseCertificate(c.Raw); err != nil {
				t.Fatal(err)
			}
		}
	})
}
