package oidc

import (
	"errors"
	"testing"
	"time"
)

// TestReview4PayloadHeadersRefused: a correctly signed token whose header
// says the payload is not the claim set as signed (cty: a nested JWT or
// other content; zip: compressed; enc: a JWE) is refused, and so is a case
// variant of those names; the same token without them verifies.
func TestReview4PayloadHeadersRefused(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	claims := mustJSON(t, goodClaims())
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1","typ":"JWT"}`), claims)); err != nil {
		t.Fatalf("control token: %v", err)
	}
	for _, tc := range []struct {
		name, header string
		want         error
	}{
		{"cty JWT (nested)", `{"alg":"ES256","kid":"ec1","typ":"JWT","cty":"JWT"}`, ErrForbiddenHeader},
		{"cty json", `{"alg":"ES256","kid":"ec1","cty":"json"}`, ErrForbiddenHeader},
		{"cty null", `{"alg":"ES256","kid":"ec1","cty":null}`, ErrForbiddenHeader},
		{"zip DEF", `{"alg":"ES256","kid":"ec1","zip":"DEF"}`, ErrForbiddenHeader},
		{"enc", `{"alg":"ES256","kid":"ec1","enc":"A128GCM"}`, ErrForbiddenHeader},
		{"CTY", `{"alg":"ES256","kid":"ec1","CTY":"JWT"}`, ErrAmbiguousJSON},
		{"Zip", `{"alg":"ES256","kid":"ec1","Zip":"DEF"}`, ErrAmbiguousJSON},
		{"ENC", `{"alg":"ES256","kid":"ec1","ENC":"A128GCM"}`, ErrAmbiguousJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, err := v.Verify(t.Context(), signES256(t, ec, []byte(tc.header), claims))
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidToken) || !id.IsZero() {
				t.Fatalf("Verify = %v, %v; want %v within ErrInvalidToken", id, err, tc.want)
			}
		})
	}
}
