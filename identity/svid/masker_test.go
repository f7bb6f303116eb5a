package svid_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
)

// Every JWT-SVID is registered with the Masker before JWTSVID returns it:
// a bearer credential a job may print must reach the log redactor, as the
// job tokens oidc.Issuer mints do.
func TestJWTSVIDRegisteredWithMasker(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var masked []string
	m := identity.MaskerFunc(func(v string) {
		mu.Lock()
		defer mu.Unlock()
		masked = append(masked, v)
	})
	iss, err := svid.NewIssuer(td, svid.WithMasker(m))
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/ci/job/7")
	for range 2 {
		s, err := iss.JWTSVID(t.Context(), id, time.Time{}, "https://vault.example")
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		ok := slices.Contains(masked, s.Marshal())
		mu.Unlock()
		if !ok {
			t.Fatal("a JWT-SVID was returned without being registered with the Masker")
		}
	}
	if _, err := svid.NewIssuer(td, svid.WithMasker(nil)); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("WithMasker(nil) = %v, want ErrConfig", err)
	}
}
