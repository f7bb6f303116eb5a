package blob_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

type review15Transport struct{ h http.Handler }

func (t review15Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

const review15Predicate = "https://ztci.dev/review15/v1"

// TestReview15DSSESubjectNamesOneArtifact: an attestation (cosign
// attest-blob --new-bundle-format) whose subject names the artifact by its
// sha256 and another artifact by its sha512 names two artifacts. verify
// refuses it for the artifact's bytes (verify.ArtifactBytes, review 5), and
// blob.Bytes and blob.Reader know all three digests too; VerifyBundle
// handed verify the sha256 alone, so the contradicting sha512 went
// unchecked and the statement verified for the artifact — which a reader
// comparing the sha512 (sigstore-go does, for bytes) takes to be about
// another file. A subject whose digests all agree still verifies, as does
// one checked against a sha256 given alone (blob.Digest), whose sha512
// cannot be known.
func TestReview15DSSESubjectNamesOneArtifact(t *testing.T) {
	t.Parallel()
	stamps, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.example", stamps).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey()}, PredicateType: review15Predicate},
		verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1))
	if err != nil {
		t.Fatal(err)
	}
	v, err := blob.NewVerifier(vv)
	if err != nil {
		t.Fatal(err)
	}
	artifact := []byte("kubectl")
	s256, s384, s512 := sha256.Sum256(artifact), sha512.Sum384(artifact), sha512.Sum512(artifact)
	o384, o512 := sha512.Sum384([]byte("other")), sha512.Sum512([]byte("other"))
	h := hex.EncodeToString
	bundle := func(digests string) []byte {
		st := fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"kubectl","digest":{%s}}],"predicateType":%q,"predicate":{}}`,
			digests, review15Predicate)
		ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: "https://tsa.example/api/v1/timestamp", Transport: review15Transport{stamps.Handler()}})
		b, err := sign.Bundle(&sign.DSSEData{Data: st, PayloadType: "application/vnd.in-toto+json"}, kp,
			sign.BundleOptions{TimestampAuthorities: []*sign.TimestampAuthority{ta}, Context: t.Context()})
		if err != nil {
			t.Fatal(err)
		}
		out, err := protojson.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	reader, err := blob.Reader(bytes.NewReader(artifact))
	if err != nil {
		t.Fatal(err)
	}
	d256, err := blob.Digest("sha256:" + h(s256[:]))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		digests string
		art     blob.Artifact
		ok      bool
	}{
		{"agree, bytes", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(s512[:])), blob.Bytes(artifact), true},
		{"agree with sha384, reader", fmt.Sprintf(`"sha256":%q,"sha384":%q`, h(s256[:]), h(s384[:])), reader, true},
		{"unchecked algorithm, bytes", fmt.Sprintf(`"sha256":%q,"sha1":%q`, h(s256[:]), "da39a3ee5e6b4b0d3255bfef95601890afd80709"), blob.Bytes(artifact), true},
		{"sha512 other, bytes", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(o512[:])), blob.Bytes(artifact), false},
		{"sha384 other, reader", fmt.Sprintf(`"sha256":%q,"sha384":%q`, h(s256[:]), h(o384[:])), reader, false},
		// Known by its sha256 only: the sha512 cannot be checked.
		{"sha512 other, sha256 digest", fmt.Sprintf(`"sha256":%q,"sha512":%q`, h(s256[:]), h(o512[:])), d256, true},
	} {
		_, err := v.VerifyBundle(t.Context(), bundle(tc.digests), tc.art)
		var am *verify.ArtifactMismatchError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && (!errors.Is(err, verify.ErrArtifactMismatch) || !errors.Is(err, verify.ErrVerification) || !errors.As(err, &am)):
			t.Errorf("%s: want *verify.ArtifactMismatchError, got %v", tc.name, err)
		}
	}
}
