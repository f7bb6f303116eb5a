package verify_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/ztci/ztci/verify"
)

// TestAttestationByDigestInEveryAlgorithm: an attestation verified for an
// ArtifactDigest is compared in the digest's own algorithm. A sha384 or
// sha512 digest was looked up as sha256, which it cannot answer, so every
// attestation was refused for it ("bundle signs a sha256 digest"), even one
// whose subject names the artifact by that very digest. A subject that
// names it only in another algorithm is still refused, and one naming
// another artifact in the digest's algorithm too.
func TestAttestationByDigestInEveryAlgorithm(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(e.trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}, PredicateType: phPredicate}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString
	s256, s384, s512 := sha256.Sum256(rtArtifact), sha512.Sum384(rtArtifact), sha512.Sum512(rtArtifact)
	o512 := sha512.Sum512([]byte("other"))
	d := func(alg string, sum []byte) verify.Artifact {
		a, err := verify.ArtifactDigest(alg, h(sum))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Each name ends "<alg> digest": the algorithm the Result must name.
	algOf := func(name string) string { f := strings.Fields(name); return f[len(f)-2] }
	for _, tc := range []struct {
		name    string
		digests string
		art     verify.Artifact
		ok      bool
	}{
		{"sha512 subject, sha512 digest", fmt.Sprintf(`"sha512":%q`, h(s512[:])), d("sha512", s512[:]), true},
		{"sha384 subject, sha384 digest", fmt.Sprintf(`"sha384":%q`, h(s384[:])), d("sha384", s384[:]), true},
		{"both, sha512 digest", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(s512[:])), d("sha512", s512[:]), true},
		{"sha256 subject, sha512 digest", fmt.Sprintf(`"sha256":%q`, h(s256[:])), d("sha512", s512[:]), false},
		{"sha512 subject, sha384 digest", fmt.Sprintf(`"sha512":%q`, h(s512[:])), d("sha384", s384[:]), false},
		{"other sha512, sha512 digest", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(o512[:])), d("sha512", s512[:]), false},
	} {
		b := signWithKey(t, e, kp, &sign.DSSEData{Data: subjectStatement(tc.digests), PayloadType: "application/vnd.in-toto+json"})
		res, err := v.Verify(t.Context(), b, tc.art)
		var am *verify.ArtifactMismatchError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.ok && !strings.HasPrefix(res.Artifact, algOf(tc.name)+":"):
			t.Errorf("%s: result names %s", tc.name, res.Artifact)
		case !tc.ok && (!errors.Is(err, verify.ErrArtifactMismatch) || !errors.As(err, &am)):
			t.Errorf("%s: want *ArtifactMismatchError, got %v", tc.name, err)
		}
	}
}

// TestMessageDigestAlgorithmRead: a message signature's digest algorithm
// is a label the signature does not cover. One that this package does not
// hash with (SHA3_256, SHA3_384, unspecified) was read as sha256: the
// bundle below, a SHA-256 message signature relabelled, verified for the
// artifact's sha256 ArtifactDigest while sigstore-go refused it for the
// artifact's bytes. It is refused (ErrMalformedBundle) however the artifact
// is given; the honest label verifies both ways.
func TestMessageDigestAlgorithmRead(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(e.trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	b := signWithKey(t, e, kp, &sign.PlainData{Data: rtArtifact})
	sum := sha256.Sum256(rtArtifact)
	d, err := verify.ArtifactDigest("sha256", hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"SHA2_256", "SHA3_256", "SHA3_384", "HASH_ALGORITHM_UNSPECIFIED"} {
		m := bytes.Replace(b, []byte(`"SHA2_256"`), []byte(`"`+label+`"`), 1)
		for name, art := range map[string]verify.Artifact{"digest": d, "bytes": verify.ArtifactBytes(rtArtifact)} {
			_, err := v.Verify(t.Context(), m, art)
			switch {
			case label == "SHA2_256" && err != nil:
				t.Errorf("%s, %s: %v", label, name, err)
			case label != "SHA2_256" && !errors.Is(err, verify.ErrMalformedBundle):
				t.Errorf("%s, %s: want ErrMalformedBundle, got %v", label, name, err)
			}
		}
	}
}
