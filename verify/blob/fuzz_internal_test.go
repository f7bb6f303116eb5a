package blob

import "testing"

// FuzzMessageDigestAlg: the unverified look at a bundle's message digest
// algorithm never panics and only ever picks one of the two digests.
func FuzzMessageDigestAlg(f *testing.F) {
	f.Add([]byte(`{"messageSignature":{"messageDigest":{"algorithm":"SHA2_512","digest":"AA=="},"signature":"AA=="}}`))
	f.Add([]byte(`{"messageSignature":{"messageDigest":{"algorithm":"SHA2_256"}}}`))
	f.Add([]byte(`{"MessageSignature":{"messageDigest":{"algorithm":"SHA2_512"}},"messageSignature":{}}`))
	f.Add([]byte(`{"dsseEnvelope":{}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if alg := messageDigestAlg(b); alg != "sha256" && alg != "sha512" {
			t.Fatalf("%q: algorithm %q", b, alg)
		}
	})
}
