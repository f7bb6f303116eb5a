package svid_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
)

// review10Claims is a valid claim set for review4Signer's verifier.
func review10Claims(sub string) string {
	// exp, and the iat a verifier requires a minute before it.
	exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10) + `,"iat":` + strconv.FormatInt(time.Now().Unix(), 10)
	return `{"sub":"` + sub + `","aud":["deployer"],"exp":` + exp + `}`
}

// TestReview10JWTSVIDStrictEncoding: a JWT-SVID whose segments are not
// strict unpadded base64url is refused with ErrJWTEncoding, though its
// signature verifies: Go's base64 decoder skips CR and LF and ignores the
// unused bits of the last character, and go-jose verifies the signature
// over the segments re-encoded, so each of these is another token string
// for one signed token (the OIDC verifier refuses all of them).
func TestReview10JWTSVIDStrictEncoding(t *testing.T) {
	t.Parallel()
	v, sign := review4Signer(t)
	// ECDSA signatures are random: sign until the signature holds a
	// character the standard alphabet spells otherwise ('-' or '_'),
	// which about one signature in fifteen does not, so that the
	// "standard alphabet" case is another token string.
	var good string
	for good == "" || !strings.ContainsAny(good[strings.LastIndexByte(good, '.'):], "-_") {
		good = sign(`{"alg":"ES256","kid":"k1","typ":"JWT"}`, review10Claims("spiffe://ci.test/job/build"))
	}
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Fatalf("control token: %v", err)
	}
	p := strings.Split(good, ".")
	// An ES256 signature is 64 bytes, 86 characters: its last carries four
	// unused bits, and flipping the lowest changes none of the 64 bytes.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := []byte(p[2])
	sig[len(sig)-1] = alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])^1]
	for name, tok := range map[string]string{
		"LF inside the signature":   p[0] + "." + p[1] + "." + p[2][:10] + "\n" + p[2][10:],
		"CR LF inside the claims":   p[0] + "." + p[1][:5] + "\r\n" + p[1][5:] + "." + p[2],
		"LF inside the header":      p[0][:3] + "\n" + p[0][3:] + "." + p[1] + "." + p[2],
		"trailing CR LF":            good + "\r\n",
		"leading LF":                "\n" + good,
		"non-zero unused bits":      p[0] + "." + p[1] + "." + string(sig),
		"padded signature":          good + "==",
		"standard alphabet":         p[0] + "." + p[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(p[2]),
		"four segments":             good + ".",
		"two segments":              p[0] + "." + p[1],
		"JSON serialization prefix": "{" + good,
	} {
		_, err := v.Verify(t.Context(), tok)
		if !errors.Is(err, svid.ErrInvalidSVID) {
			t.Errorf("%s: Verify = %v, want ErrInvalidSVID", name, err)
			continue
		}
		if !errors.Is(err, svid.ErrJWTEncoding) {
			t.Errorf("%s: Verify = %v, want ErrJWTEncoding", name, err)
		}
	}
}

// TestReview10JWTSVIDHeaderMembers: a JWT-SVID header may hold alg, kid and
// typ only (JWT-SVID specification §2: no other header, registered or
// private). Headers that carry or point to keys, change processing, or
// are merely unknown are refused with ErrJWTHeader, though the signature
// by a trusted key verifies; go-spiffe alone accepts them all.
func TestReview10JWTSVIDHeaderMembers(t *testing.T) {
	t.Parallel()
	v, sign := review4Signer(t)
	claims := review10Claims("spiffe://ci.test/job/build")
	for _, h := range []string{`{"alg":"ES256","kid":"k1","typ":"JWT"}`, `{"alg":"ES256","kid":"k1"}`, `{"alg":"ES256","kid":"k1","typ":"JOSE"}`} {
		if _, err := v.Verify(t.Context(), sign(h, claims)); err != nil {
			t.Errorf("header %s: %v, want accepted", h, err)
		}
	}
	for _, h := range []string{
		`{"alg":"ES256","kid":"k1","jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}`,
		`{"alg":"ES256","kid":"k1","jku":"https://evil.test/jwks"}`,
		`{"alg":"ES256","kid":"k1","x5u":"https://evil.test/cert"}`,
		`{"alg":"ES256","kid":"k1","b64":true,"crit":["b64"]}`,
		`{"alg":"ES256","kid":"k1","x5t":"dGh1bWI"}`,
		`{"alg":"ES256","kid":"k1","typ":"JWT","foo":"bar"}`,
		`{"alg":"ES256","kid":"k1","cty":"JWT"}`,
	} {
		_, err := v.Verify(t.Context(), sign(h, claims))
		if !errors.Is(err, svid.ErrJWTHeader) || !errors.Is(err, svid.ErrInvalidSVID) {
			t.Errorf("header %s: Verify = %v, want ErrJWTHeader inside ErrInvalidSVID", h, err)
		}
	}
}

// TestReview10JWTSVIDTrustDomainSubject: a JWT-SVID whose sub is the trust
// domain's own ID (no path) names no workload and is refused with
// ErrRootID, though signed by a trusted key; go-spiffe accepts it, and an
// authorizer admitting the trust domain's members would admit it.
func TestReview10JWTSVIDTrustDomainSubject(t *testing.T) {
	t.Parallel()
	v, sign := review4Signer(t)
	for _, sub := range []string{"spiffe://ci.test", "spiffe://ci.test/"} {
		id, err := v.Verify(t.Context(), sign(`{"alg":"ES256","kid":"k1","typ":"JWT"}`, review10Claims(sub)))
		if sub == "spiffe://ci.test/" {
			// go-spiffe refuses a trailing slash itself.
			if err == nil {
				t.Errorf("sub %q: accepted as %v", sub, id)
			}
			continue
		}
		if !errors.Is(err, svid.ErrRootID) || !errors.Is(err, svid.ErrInvalidSVID) || !id.IsZero() {
			t.Errorf("sub %q: Verify = %v, %v; want ErrRootID inside ErrInvalidSVID", sub, id, err)
		}
	}
}

// TestReview10CheckPeerID: CheckPeerID admits a workload ID of at most
// 2048 bytes and refuses the zero ID, a trust domain's own ID and a longer
// ID, each wrapping ErrID.
func TestReview10CheckPeerID(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	if err := svid.CheckPeerID(spiffeid.RequireFromPath(td, "/job")); err != nil {
		t.Errorf("workload ID: %v", err)
	}
	long := spiffeid.RequireFromPath(td, "/"+strings.Repeat("a", svid.MaxIDLength))
	for name, tc := range map[string]struct {
		id   spiffeid.ID
		want error
	}{
		"zero":     {spiffeid.ID{}, svid.ErrID},
		"root":     {td.ID(), svid.ErrRootID},
		"too long": {long, svid.ErrIDTooLong},
	} {
		if err := svid.CheckPeerID(tc.id); !errors.Is(err, tc.want) || !errors.Is(err, svid.ErrID) {
			t.Errorf("%s: CheckPeerID = %v, want %v within ErrID", name, err, tc.want)
		}
	}
}
