package workload_test

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
)

// TestServerHidesCAKey: %s or %q of a Server would reach its issuer's
// fields, the CA key among them, by reflection (an unexported pointer is
// expanded under a verb that does not fit it); no verb may show the key.
func TestServerHidesCAKey(t *testing.T) {
	t.Parallel()
	key := ed25519.NewKeyFromSeed([]byte("CANARY-SEED-workload-0123456789a"))
	td := spiffeid.RequireTrustDomainFromString("example.org")
	iss, err := svid.NewIssuer(td, svid.WithCASigner(key))
	if err != nil {
		t.Fatal(err)
	}
	s, err := workload.NewServer(iss, workload.FixedID(spiffeid.RequireFromPath(td, "/ci/job")))
	if err != nil {
		t.Fatal(err)
	}
	dec := strings.Trim(fmt.Sprint(key[:8]), "[]")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "CANARY-SEED") || strings.Contains(out, dec) || strings.Contains(out, fmt.Sprintf("%x", key[:8])) {
			t.Errorf("%s of a Server leaks the CA key: %.300s", verb, out)
		}
	}
}
