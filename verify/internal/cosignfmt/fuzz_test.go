package cosignfmt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// selfSigned is a PEM certificate for seeds.
func selfSigned(f testing.TB) []byte {
	f.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seed"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		f.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestParseCertificatesRefusesSkippedBlock: pem.Decode skips a malformed
// block without a word; the chain is refused instead of read without it.
func TestParseCertificatesRefusesSkippedBlock(t *testing.T) {
	c := selfSigned(t)
	bad := []byte("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
	in := append(append(append([]byte{}, c...), bad...), c...)
	if out, err := ParseCertificates(in, 3); err == nil {
		t.Fatalf("accepted %d certificates around a malformed block", len(out))
	}
	if out, err := ParseCertificates(append(append([]byte{}, c...), c...), 3); err != nil || len(out) != 2 {
		t.Fatalf("two certificates: %d, %v", len(out), err)
	}
}

// FuzzParseCertificates: the certificate and chain annotations of a
// legacy cosign signature and sign-blob's --certificate come from the
// registry or the signer. What is accepted is 1 to max certificates that
// parse; nothing panics.
func FuzzParseCertificates(f *testing.F) {
	c := selfSigned(f)
	f.Add(c, 1)
	f.Add(append(append([]byte{}, c...), c...), 2)
	f.Add(append(append([]byte{}, c...), c...), 1)
	f.Add(append([]byte("text before\n"), c...), 1)
	f.Add(append(append([]byte{}, c...), "trailing"...), 1)
	f.Add([]byte(strings.Replace(string(c), "CERTIFICATE", "PUBLIC KEY", 2)), 1)
	f.Add(c[:len(c)-20], 1)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = 1 + max&7
		out, err := ParseCertificates(b, max)
		if err != nil {
			if out != nil {
				t.Fatal("certificates returned with an error")
			}
			return
		}
		if len(out) == 0 || len(out) > max {
			t.Fatalf("%d certificates accepted, max %d", len(out), max)
		}
		if len(out) != strings.Count(string(b), "-----BEGIN") {
			t.Fatalf("%d certificates from %d blocks", len(out), strings.Count(string(b), "-----BEGIN"))
		}
		for _, der := range out {
			if _, err := x509.ParseCertificate(der); err != nil {
				t.Fatalf("accepted a certificate that does not parse: %v", err)
			}
		}
	})
}

// FuzzParseRekorBundle: cosign's "dev.sigstore.cosign/bundle" annotation
// comes from the registry. What is accepted is a complete entry with an
// inclusion promise; nothing panics.
func FuzzParseRekorBundle(f *testing.F) {
	body := base64.StdEncoding.EncodeToString([]byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`))
	logID := strings.Repeat("ab", 32)
	f.Add([]byte(`{"SignedEntryTimestamp":"MEUC","Payload":{"body":"` + body + `","integratedTime":1700000000,"logIndex":7,"logID":"` + logID + `"}}`))
	f.Add([]byte(`{"SignedEntryTimestamp":"MEUC","Payload":{"body":"` + body + `","integratedTime":-1,"logIndex":7,"logID":"` + logID + `"}}`))
	f.Add([]byte(`{"SignedEntryTimestamp":"MEUC","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"` + strings.ToUpper(logID) + `"}}`))
	f.Add([]byte(`{"SignedEntryTimestamp":"MEUC","signedEntryTimestamp":"MEUC"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseRekorBundle(b)
		if err != nil {
			if e != nil {
				t.Fatal("entry returned with an error")
			}
			return
		}
		switch {
		case e.LogIndex < 0 || e.IntegratedTime <= 0:
			t.Fatalf("accepted log index %d, integrated time %d", e.LogIndex, e.IntegratedTime)
		case len(e.GetLogId().GetKeyId()) != 32:
			t.Fatal("accepted a log ID that is not a SHA-256")
		case len(e.GetInclusionPromise().GetSignedEntryTimestamp()) == 0:
			t.Fatal("accepted an entry without its SET")
		case e.GetKindVersion().GetKind() == "" || e.GetKindVersion().GetVersion() == "":
			t.Fatal("accepted a body without kind and apiVersion")
		}
	})
}
