package svid_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
)

// review4Signer returns a verifier for audience "deployer" over a bundle
// trusting one key, and a function signing header.claims with that key.
func review4Signer(t *testing.T) (*svid.JWTVerifier, func(header, claims string) string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bundle := jwtbundle.New(spiffeid.RequireTrustDomainFromString("ci.test"))
	if err := bundle.AddJWTAuthority("k1", key.Public()); err != nil {
		t.Fatal(err)
	}
	v, err := svid.NewJWTVerifier(bundle, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	return v, func(header, claims string) string {
		in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
		d := sha256.Sum256([]byte(in))
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		return in + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
}

// TestReview4JWTSVIDPayloadHeaders: a JWT-SVID signed by a trusted key whose
// header says the payload is not the claim set as signed (cty, zip, enc)
// is refused with ErrJWTHeader; go-spiffe alone reads its payload as the
// claims.
func TestReview4JWTSVIDPayloadHeaders(t *testing.T) {
	t.Parallel()
	v, sign := review4Signer(t)
	// exp, and the iat a verifier requires a minute before it.
	exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10) + `,"iat":` + strconv.FormatInt(time.Now().Unix(), 10)
	claims := `{"sub":"spiffe://ci.test/job/build","aud":["deployer"],"exp":` + exp + `}`
	if _, err := v.Verify(t.Context(), sign(`{"alg":"ES256","kid":"k1","typ":"JWT"}`, claims)); err != nil {
		t.Fatalf("control token: %v", err)
	}
	for _, h := range []string{
		`{"alg":"ES256","kid":"k1","typ":"JWT","cty":"JWT"}`,
		`{"alg":"ES256","kid":"k1","cty":"json"}`,
		`{"alg":"ES256","kid":"k1","zip":"DEF"}`,
		`{"alg":"ES256","kid":"k1","enc":"A256GCM"}`,
	} {
		_, err := v.Verify(t.Context(), sign(h, claims))
		if !errors.Is(err, svid.ErrJWTHeader) || !errors.Is(err, svid.ErrInvalidSVID) {
			t.Errorf("header %s: Verify = %v, want ErrJWTHeader inside ErrInvalidSVID", h, err)
		}
	}
	for _, h := range []string{`{"alg":"ES256","kid":"k1","ZIP":"DEF"}`, `{"alg":"ES256","kid":"k1","Enc":"A256GCM"}`} {
		if _, err := v.Verify(t.Context(), sign(h, claims)); !errors.Is(err, svid.ErrAmbiguousJSON) {
			t.Errorf("header %s: Verify = %v, want ErrAmbiguousJSON", h, err)
		}
	}
}

// TestReview4JWTSVIDSizeBounded: a JWT-SVID longer than MaxJWTSize is
// refused before it is decoded, however validly signed; one just under the
// bound verifies.
func TestReview4JWTSVIDSizeBounded(t *testing.T) {
	t.Parallel()
	v, sign := review4Signer(t)
	// exp, and the iat a verifier requires a minute before it.
	exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10) + `,"iat":` + strconv.FormatInt(time.Now().Unix(), 10)
	const header = `{"alg":"ES256","kid":"k1","typ":"JWT"}`
	claims := func(pad int) string {
		return `{"sub":"spiffe://ci.test/job/build","aud":["deployer"],"exp":` + exp + `,"pad":"` + strings.Repeat("a", pad) + `"}`
	}
	small := sign(header, claims(svid.MaxJWTSize/2))
	if _, err := v.Verify(t.Context(), small); err != nil {
		t.Fatalf("%d-byte token: %v", len(small), err)
	}
	for _, pad := range []int{svid.MaxJWTSize, 1 << 20} {
		tok := sign(header, claims(pad))
		_, err := v.Verify(t.Context(), tok)
		if !errors.Is(err, svid.ErrJWTTooLarge) || !errors.Is(err, svid.ErrInvalidSVID) {
			t.Errorf("%d-byte token: Verify = %v, want ErrJWTTooLarge inside ErrInvalidSVID", len(tok), err)
		}
	}
}
