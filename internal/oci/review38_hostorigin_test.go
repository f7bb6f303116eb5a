package oci

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// A request whose URL is the registry's but whose Host (or request
// target) names another host is routed there by a shared front end:
// credentials may not go with it.
func TestReview38CredentialsFollowTheRequestsOrigin(t *testing.T) {
	t.Parallel()
	reg, err := name.NewRegistry("reg.example.com")
	if err != nil {
		t.Fatal(err)
	}
	g := guard{registry: reg}
	for _, tt := range []struct {
		name string
		edit func(*http.Request)
		ok   bool
	}{
		{"as built", func(*http.Request) {}, true},
		{"host names another", func(r *http.Request) { r.Host = "attacker.example" }, false},
		{"opaque names another", func(r *http.Request) { r.URL.Opaque = "//attacker.example/v2/" }, false},
		{"absolute-form target", func(r *http.Request) { r.URL.Opaque = "https://attacker.example/v2/" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := http.NewRequest(http.MethodGet, "https://reg.example.com/v2/", nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(r)
			if got := g.mayCarryCredentials(r); got != tt.ok {
				t.Errorf("mayCarryCredentials = %v, want %v", got, tt.ok)
			}
		})
	}
}
