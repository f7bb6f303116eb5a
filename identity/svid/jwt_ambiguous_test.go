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

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
)

// JWTVerifier is the identity package's one token-verifier seam.
var _ identity.TokenVerifier = (*svid.JWTVerifier)(nil)

// TestJWTSVIDAmbiguousMemberNames signs JWT-SVIDs, with a key the bundle
// trusts, whose header or claims repeat a member or spell a registered name
// in another case: each is refused with ErrAmbiguousJSON even though the
// signature is good, and the same token without the ambiguity verifies.
func TestJWTSVIDAmbiguousMemberNames(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bundle := jwtbundle.New(td)
	if err := bundle.AddJWTAuthority("k1", key.Public()); err != nil {
		t.Fatal(err)
	}
	sign := func(header, claims string) string {
		in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
		d := sha256.Sum256([]byte(in))
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		return in + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	// exp, and the iat a verifier requires a minute before it.
	exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10) + `,"iat":` + strconv.FormatInt(time.Now().Unix(), 10)
	claims := `{"sub":"spiffe://ci.test/job/build","aud":["deployer"],"exp":` + exp + `}`
	const header = `{"alg":"ES256","kid":"k1","typ":"JWT"}`
	v, err := svid.NewJWTVerifier(bundle, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), sign(header, claims)); err != nil {
		t.Fatalf("control token: %v", err)
	}
	for _, tc := range []struct{ name, header, claims string }{
		{"header KID", `{"alg":"ES256","KID":"k1","kid":"k1"}`, claims},
		{"header alg repeated", `{"alg":"ES256","alg":"ES256","kid":"k1"}`, claims},
		{"header Typ", `{"alg":"ES256","kid":"k1","Typ":"JWT"}`, claims},
		{"claims SUB", header, `{"sub":"spiffe://ci.test/job/build","SUB":"spiffe://ci.test/job/deploy","aud":["deployer"],"exp":` + exp + `}`},
		{"claims sub repeated", header, `{"sub":"spiffe://ci.test/job/deploy","sub":"spiffe://ci.test/job/build","aud":["deployer"],"exp":` + exp + `}`},
		{"claims escaped aud repeat", header, `{"sub":"spiffe://ci.test/job/build","aud":["x"],"\u0061ud":["deployer"],"exp":` + exp + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(t.Context(), sign(tc.header, tc.claims))
			if !errors.Is(err, svid.ErrAmbiguousJSON) || !errors.Is(err, svid.ErrInvalidSVID) {
				t.Fatalf("Verify = %v, want ErrAmbiguousJSON inside ErrInvalidSVID", err)
			}
		})
	}
}

// TestJWTSVIDIDTooLong: a JWT-SVID signed by a trusted key whose sub is a
// SPIFFE ID over the specification's 2048 bytes is refused with
// ErrIDTooLong (go-spiffe alone accepts it); exactly 2048 bytes verifies.
func TestJWTSVIDIDTooLong(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bundle := jwtbundle.New(td)
	if err := bundle.AddJWTAuthority("k1", key.Public()); err != nil {
		t.Fatal(err)
	}
	sign := func(claims string) string {
		in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
		d := sha256.Sum256([]byte(in))
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		return in + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	// exp, and the iat a verifier requires a minute before it.
	exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10) + `,"iat":` + strconv.FormatInt(time.Now().Unix(), 10)
	v, err := svid.NewJWTVerifier(bundle, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "spiffe://" + td.Name() + "/job/"
	for _, n := range []int{svid.MaxIDLength, svid.MaxIDLength + 1, 8000} {
		id := prefix + strings.Repeat("a", n-len(prefix))
		_, err := v.Verify(t.Context(), sign(`{"sub":"`+id+`","aud":["deployer"],"exp":`+exp+`}`))
		if n <= svid.MaxIDLength {
			if err != nil {
				t.Fatalf("%d-byte ID: %v", n, err)
			}
			continue
		}
		if !errors.Is(err, svid.ErrIDTooLong) || !errors.Is(err, svid.ErrInvalidSVID) {
			t.Fatalf("%d-byte ID: Verify = %v, want ErrIDTooLong inside ErrInvalidSVID", n, err)
		}
	}
}

// FuzzParseAndValidateJWT: never panics, every error wraps ErrInvalidSVID.
func FuzzParseAndValidateJWT(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.e30.AAAA")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"ALG":"ES256","alg":"none"}`)) + ".e30.AAAA")
	f.Add("e30." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"a","Sub":"b"}`)) + ".AAAA")
	f.Add("..")
	bundle := jwtbundle.New(td)
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := svid.ParseAndValidateJWT(raw, bundle, []string{"aud"}); !errors.Is(err, svid.ErrInvalidSVID) {
			t.Fatalf("ParseAndValidateJWT(%q) = %v, want ErrInvalidSVID", raw, err)
		}
	})
}
