package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/verify"
)

// FuzzParsePublicKeyPEM: a key file is caller-supplied but often comes from
// a repository or a ticket. Parsing never panics, every refusal wraps
// ErrInvalidExpectation, and what it accepts is a key of a kind the
// verifier knows.
func FuzzParsePublicKeyPEM(f *testing.F) {
	pubs, _ := filepath.Glob("testdata/conformance/*/key.pub")
	for _, p := range pubs {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := verify.ParsePublicKeyPEM(b)
		if err != nil {
			if !errors.Is(err, verify.ErrInvalidExpectation) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			if k.Key != nil {
				t.Fatal("key returned with an error")
			}
			return
		}
		switch k.Key.(type) {
		case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		default:
			// Accepted here, it must still be refused when used: the
			// verifier loads only the kinds above.
			trust, err := verify.PublicGood()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := verify.New(trust, verify.Expectation{Signer: k}); err == nil {
				t.Fatalf("a %T key was accepted by New", k.Key)
			}
		}
	})
}

// FuzzParseArtifactDigest: "alg:hex" from a caller or a CLI flag. What is
// accepted is exactly sha256/sha384/sha512 with lowercase hex of the
// right length.
func FuzzParseArtifactDigest(f *testing.F) {
	for _, s := range []string{
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
		"sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:", ":", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := verify.ParseArtifactDigest(s)
		if err != nil {
			if !errors.Is(err, verify.ErrInvalidExpectation) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if !wellFormedDigest(s) {
			t.Fatalf("accepted %q", s)
		}
	})
}

// wellFormedDigest is the accepted form, written independently of the
// parser.
func wellFormedDigest(s string) bool {
	for alg, n := range map[string]int{"sha256": 64, "sha384": 96, "sha512": 128} {
		if len(s) != len(alg)+1+n || s[:len(alg)+1] != alg+":" {
			continue
		}
		for _, c := range s[len(alg)+1:] {
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
		return true
	}
	return false
}

// FuzzParseTrustedRoot: a trusted_root.json may arrive through a TUF
// refresh or an operator's file. Parsing never panics and every refusal
// wraps ErrTrustMaterial.
func FuzzParseTrustedRoot(f *testing.F) {
	f.Add(verify.PublicGoodJSON())
	roots, _ := filepath.Glob("testdata/conformance/*/trusted_root.json")
	for _, p := range roots[:min(len(roots), 4)] {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"x","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"AAAA","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2020-01-01T00:00:00Z"}},"logId":{"keyId":"AAAA"}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, err := verify.ParseTrustedRoot(b)
		if err != nil {
			if !errors.Is(err, verify.ErrTrustMaterial) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			if tm != nil {
				t.Fatal("trust material returned with an error")
			}
			return
		}
		// Reading what was accepted must not panic either.
		_ = tm.FulcioCertificateAuthorities()
		_ = tm.TimestampingAuthorities()
		_ = tm.RekorLogs()
		_ = tm.CTLogs()
	})
}
