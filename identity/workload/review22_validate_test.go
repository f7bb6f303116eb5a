package workload_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview22ValidateJWTSVIDChecks: ValidateJWTSVID accepted, under the
// issuer's own key, a JWT-SVID for [vault gate] when asked for gate (Vault
// could replay it there) and one living for years (a stolen token from a
// misconfigured signer stays good until exp). Now it follows its issuer's
// choices (svid.Issuer.JWTVerifierOptions): several audiences only when
// the issuer mints them, a lifetime of at most svid.DefaultMaxJWTLifetime
// or the issuer's longer JWT TTL, and iat required.
func TestReview22ValidateJWTSVIDChecks(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/a")
	now := time.Now()
	mint := func(aud []string, iat *jwt.NumericDate, life time.Duration) string {
		tok, err := jwt.Signed(signer).Claims(jwt.Claims{
			Subject: id.String(), Audience: aud, IssuedAt: iat, Expiry: jwt.NewNumericDate(now.Add(life)),
		}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	iat := jwt.NewNumericDate(now)
	for name, tc := range map[string]struct {
		opts []svid.Option
		tok  string
		want codes.Code
	}{
		"one audience, 5m":                    {nil, mint([]string{"gate"}, iat, 5*time.Minute), codes.OK},
		"[vault gate]":                        {nil, mint([]string{"vault", "gate"}, iat, time.Minute), codes.InvalidArgument},
		"[vault gate], WithMultipleAudiences": {[]svid.Option{svid.WithMultipleAudiences()}, mint([]string{"vault", "gate"}, iat, time.Minute), codes.OK},
		"five years":                          {nil, mint([]string{"gate"}, iat, 5*365*24*time.Hour), codes.InvalidArgument},
		"no iat":                              {nil, mint([]string{"gate"}, nil, time.Minute), codes.InvalidArgument},
		"2h":                                  {nil, mint([]string{"gate"}, iat, 2*time.Hour), codes.InvalidArgument},
		"2h, issuer WithJWTTTL(2h)":           {[]svid.Option{svid.WithJWTTTL(2 * time.Hour)}, mint([]string{"gate"}, iat, 2*time.Hour), codes.OK},
	} {
		iss, err := svid.NewIssuer(td, append([]svid.Option{svid.WithJWTSigner(key, "k1")}, tc.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := wl.NewServer(iss, wl.FixedID(id))
		if err != nil {
			t.Fatal(err)
		}
		client, ctx := review11Client(t, srv)
		if _, err := client.ValidateJWTSVID(ctx, &workload.ValidateJWTSVIDRequest{Audience: "gate", Svid: tc.tok}); status.Code(err) != tc.want {
			t.Errorf("%s: ValidateJWTSVID: %v, want %v", name, err, tc.want)
		}
	}
}
