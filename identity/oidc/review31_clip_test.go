package oidc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
)

// reasonSink keeps the reasons of the audit events written to it.
type reasonSink struct{ reasons []string }

func (s *reasonSink) Write(_ context.Context, e audit.Event) error {
	s.reasons = append(s.reasons, e.Reason)
	return nil
}

// TestReview31UnverifiedHeaderClipped: the header's alg, kid and typ are
// read before the signature is checked, so anyone who can present a token
// chooses them. They reach the error, the log and the audit event's
// reason clipped, not as the 10 KiB (or, escaped, several times that) an
// unauthenticated caller put there.
func TestReview31UnverifiedHeaderClipped(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	long := strings.Repeat("\x01", 2500) + strings.Repeat("k", 8000)
	const bound = 1024
	for _, tc := range []struct {
		name   string
		header map[string]any
		claims map[string]any
		want   error
	}{
		{name: "kid", header: map[string]any{"alg": "ES256", "kid": long, "typ": "JWT"}, want: ErrUnknownKey},
		{name: "alg", header: map[string]any{"alg": long, "kid": "ec1", "typ": "JWT"}, want: ErrAlgorithm},
		{name: "typ", header: map[string]any{"alg": "ES256", "kid": "ec1", "typ": long}, want: ErrForbiddenHeader},
		// A job asks its platform for a token with the audience it likes.
		{name: "aud", claims: with(goodClaims(), "aud", []string{long}), want: ErrAudience},
		{name: "iss", claims: with(goodClaims(), "iss", long), want: ErrIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := &reasonSink{}
			v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)),
				WithClock(func() time.Time { return testNow }), WithMaxTokenSize(64<<10), WithAudit(sink))
			if err != nil {
				t.Fatal(err)
			}
			header, claims := tc.header, tc.claims
			if header == nil {
				header = map[string]any{"alg": "ES256", "kid": "ec1", "typ": "JWT"}
			}
			if claims == nil {
				claims = goodClaims()
			}
			tok := signES256(t, ec, mustJSON(t, header), mustJSON(t, claims))
			_, err = v.Verify(t.Context(), tok)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if n := len(err.Error()); n > bound {
				t.Errorf("error is %d bytes, want at most %d", n, bound)
			}
			if len(sink.reasons) != 1 {
				t.Fatalf("%d audit events, want 1", len(sink.reasons))
			}
			if n := len(sink.reasons[0]); n > bound {
				t.Errorf("audit reason is %d bytes, want at most %d", n, bound)
			}
		})
	}
}
