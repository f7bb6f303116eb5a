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
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		panic(err)
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "artifact-store", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		panic(err)
	}
	a, err := httpauth.New(httpauth.WithBearer(v))
	if err != nil {
		panic(err)
	}
	// A bearer token is accepted over TLS only (or behind a trusted
	// TLS-terminating proxy: WithTLSTerminatingProxy), and the handler sees
	// the caller in the context, never the Authorization header.
	srv := httptest.NewTLSServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := identity.FromContext(r.Context())
		if !ok { // not behind the middleware: refuse, never serve anonymously
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "hello ", who.Claims.Repository, ", token passed on: ", r.Header.Get("Authorization") != "")
	})))
	defer srv.Close()

	tok, err := iss.Mint(context.Background(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app"}}, "artifact-store")
	if err != nil {
		panic(err)
	}
	rt, err := httpauth.RoundTripper(srv.URL, identity.TokenSourceFunc(func(context.Context) (string, error) {
		return tok.Reveal(), nil
	}), srv.Client().Transport) // trusts httptest's certificate
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: rt}
	resp, err := client.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, string(b))

	resp, err = srv.Client().Get(srv.URL) // no token
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 200 hello octo-org/app, token passed on: false
	// 401
}
