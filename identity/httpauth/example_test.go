package httpauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
	"github.com/ztci/ztci/identity/oidc"
)

// A service authenticates jobs by their bearer job token.
func Example() {
	iss, _ := oidc.NewIssuer("https://ci.example.com")
	v, _ := oidc.NewVerifier("https://ci.example.com", "artifact-store", oidc.WithKeySet(iss.KeySet()))
	a, _ := httpauth.New(httpauth.WithBearer(v))
	srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, _ := identity.FromContext(r.Context())
		fmt.Fprint(w, "hello ", who.Claims.Repository)
	})))
	defer srv.Close()

	tok, _ := iss.Mint(context.Background(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app"}}, "artifact-store")
	rt, _ := httpauth.RoundTripper(srv.URL, identity.TokenSourceFunc(func(context.Context) (string, error) {
		return tok.Reveal(), nil
	}), nil)
	client := &http.Client{Transport: rt}
	resp, _ := client.Get(srv.URL)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))

	resp, _ = http.Get(srv.URL) // no token
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 200 hello octo-org/app
	// 401
}
