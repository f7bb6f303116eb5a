package httpauth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
)

// errReview37Expired is a verifier's own sentinel.
var errReview37Expired = errors.New("token expired")

// TestReview37VerifierEchoRedacted: Authenticate wrapped the verifier's
// error as it was and the middleware logged it, so a verifier that quotes
// what it was given (a vendor's, "token %s expired", or one naming the
// signature it could not check) put a caller's token, perhaps valid for
// another audience, in this service's logs. Now the token, and each long
// part of it, is cut out of the text; errors.Is still finds the
// verifier's error.
func TestReview37VerifierEchoRedacted(t *testing.T) {
	t.Parallel()
	const (
		header  = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0"
		payload = "eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoiam9iIn0"
		sig     = "MEUCIQDx0a7zmmQm6Nqz3x8vZ_ohqC3-Fh8xX2Jb1oY4aL6z2gIgVw"
		tok     = header + "." + payload + "." + sig
	)
	for _, tc := range []struct {
		name   string
		echo   func(raw string) error
		absent []string
	}{
		{name: "whole token", echo: func(raw string) error { return fmt.Errorf("%w: %s", errReview37Expired, raw) }, absent: []string{tok, payload, sig}},
		{name: "quoted token", echo: func(raw string) error { return fmt.Errorf("%w: %q", errReview37Expired, raw) }, absent: []string{tok, payload, sig}},
		{name: "signature only", echo: func(raw string) error {
			return fmt.Errorf("%w: signature %s", errReview37Expired, raw[strings.LastIndexByte(raw, '.')+1:])
		}, absent: []string{sig}},
		{name: "twice", echo: func(raw string) error { return fmt.Errorf("%w: %s, again %s", errReview37Expired, raw, raw) }, absent: []string{tok, payload, sig}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs review37Log
			v := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
				return identity.Identity{}, tc.echo(raw)
			})
			a, err := httpauth.New(httpauth.WithBearer(v), httpauth.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			_, err = a.Authenticate(r)
			if !errors.Is(err, httpauth.ErrUnauthenticated) || !errors.Is(err, errReview37Expired) {
				t.Fatalf("Authenticate: %v; want ErrUnauthenticated and the verifier's error", err)
			}
			w := httptest.NewRecorder()
			a.Middleware(http.NotFoundHandler()).ServeHTTP(w, r)
			logs.mu.Lock()
			logged := logs.buf.String()
			logs.mu.Unlock()
			for _, s := range tc.absent {
				if strings.Contains(err.Error(), s) {
					t.Errorf("Authenticate's error repeats part of the token")
				}
				if strings.Contains(logged, s) {
					t.Errorf("the log repeats part of the token")
				}
			}
		})
	}
}
