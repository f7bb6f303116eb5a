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

// subjectStatement is an in-toto statement with one subject whose digest
// set is digests (JSON object members, already quoted).
func subjectStatement(digests string) []byte {
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{%s}}],"predicateType":%q,"predicate":{"k":"v"}}`,
		digests, phPredicate)
}

// TestReview5SubjectDigestsAgree: a subject whose digest set names the
// artifact by one algorithm and another artifact by a second one names two
// artifacts. It is refused (*ArtifactMismatchError) whenever the second
// digest can be computed (the artifact's bytes or a stream), whichever
// digest the verifier would otherwise have used; a subject whose digests
// all agree verifies, and a second subject naming another artifact is
// just another subject.
func TestReview5SubjectDigestsAgree(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	s256, s512 := sha256.Sum256(rtArtifact), sha512.Sum512(rtArtifact)
	o256, o512 := sha256.Sum256([]byte("other")), sha512.Sum512([]byte("other"))
	h := hex.EncodeToString
	v, err := verify.New(e.trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}, PredicateType: phPredicate}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	d256, _ := verify.ArtifactDigest("sha256", h(s256[:]))
	for _, tc := range []struct {
		name    string
		digests string
		art     verify.Artifact
		ok      bool
	}{
		{"agree, bytes", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(s512[:])), verify.ArtifactBytes(rtArtifact), true},
		{"agree, stream", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(s512[:])), verify.ArtifactReader(bytes.NewReader(rtArtifact)), true},
		{"sha512 other, bytes", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(o512[:])), verify.ArtifactBytes(rtArtifact), false},
		{"sha512 other, stream", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(o512[:])), verify.ArtifactReader(bytes.NewReader(rtArtifact)), false},
		{"sha256 other, bytes", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(o256[:]), h(s512[:])), verify.ArtifactBytes(rtArtifact), false},
		{"sha256 other, stream", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(o256[:]), h(s512[:])), verify.ArtifactReader(bytes.NewReader(rtArtifact)), false},
		// Known by its sha256 only: the sha512 cannot be checked.
		{"sha512 other, sha256 digest", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(o512[:])), d256, true},
	} {
		b := signWithKey(t, e, kp, &sign.DSSEData{Data: subjectStatement(tc.digests), PayloadType: "application/vnd.in-toto+json"})
		_, err := v.Verify(t.Context(), b, tc.art)
		var am *verify.ArtifactMismatchError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && (!errors.Is(err, verify.ErrArtifactMismatch) || !errors.As(err, &am)):
			t.Errorf("%s: want *ArtifactMismatchError, got %v", tc.name, err)
		}
	}
}

// TestReview5CachedDigestResultNotForBytes: with WithResultCache, a
// statement verified for an artifact known only by its sha256 (its sha512
// subject digest unchecked) is not then returned for the artifact's bytes,
// whose sha512 the subject contradicts.
func TestReview5CachedDigestResultNotForBytes(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	s256, o512 := sha256.Sum256(rtArtifact), sha512.Sum512([]byte("other"))
	b := signWithKey(t, e, kp, &sign.DSSEData{PayloadType: "application/vnd.in-toto+json",
		Data: subjectStatement(fmt.Sprintf(`"sha256":%q,"sha512":%q`, hex.EncodeToString(s256[:]), hex.EncodeToString(o512[:])))})
	v, err := verify.New(e.trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}, PredicateType: phPredicate},
		append(privateOpts, verify.WithResultCache(8))...)
	if err != nil {
		t.Fatal(err)
	}
	d256, _ := verify.ArtifactDigest("sha256", hex.EncodeToString(s256[:]))
	if _, err := v.Verify(t.Context(), b, d256); err != nil {
		t.Fatalf("sha256 digest: %v", err)
	}
	for name, a := range map[string]verify.Artifact{"bytes": verify.ArtifactBytes(rtArtifact), "stream": verify.ArtifactReader(bytes.NewReader(rtArtifact))} {
		if _, err := v.Verify(t.Context(), b, a); !errors.Is(err, verify.ErrArtifactMismatch) {
			t.Errorf("%s after a cached digest result: want ErrArtifactMismatch, got %v", name, err)
		}
	}
}

// TestReview5DSSEPayloadTypeNotInToto: a DSSE envelope whose payloadType is
// not in-toto's is refused as a malformed bundle that names the payload
// type, not reported as a bad signature (the signature is good).
func TestReview5DSSEPayloadTypeNotInToto(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	s256 := sha256.Sum256(rtArtifact)
	st := subjectStatement(fmt.Sprintf(`"sha256":%q`, hex.EncodeToString(s256[:])))
	v, err := verify.New(e.trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}, PredicateType: phPredicate}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range []string{"application/json", "APPLICATION/VND.IN-TOTO+JSON", "application/vnd.in-toto+json; charset=utf-8", ""} {
		b := signWithKey(t, e, kp, &sign.DSSEData{Data: st, PayloadType: pt})
		_, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
		if !errors.Is(err, verify.ErrMalformedBundle) || errors.Is(err, verify.ErrSignature) || (pt != "" && !strings.Contains(err.Error(), pt)) {
			t.Errorf("payloadType %q: want ErrMalformedBundle naming it, got %v", pt, err)
		}
	}
	b := signWithKey(t, e, kp, &sign.DSSEData{Data: st, PayloadType: "application/vnd.in-toto+json"})
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err != nil {
		t.Errorf("in-toto payloadType: %v", err)
	}
}
