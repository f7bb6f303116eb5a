package exchange_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview22ClaimValueClipped: a claim value the template cannot place
// (an environment or branch name the token holder chose, up to the token's
// 16 KiB) was quoted whole into the error and the audit event's reason,
// and %q kept printable Unicode such as look-alike letters as they were.
// It is quoted in ASCII and clipped now.
func TestReview22ClaimValueClipped(t *testing.T) {
	t.Parallel()
	_, _, ca, tm := exchangeParts(t, "/ci/{environment}/{repository...}")
	env := "prod/" + strings.Repeat("ⅹ", 4000)
	who := identity.Identity{Issuer: "https://ci.test", Subject: "s", Claims: identity.Claims{Repository: "octo-org/app", Environment: env}}
	var reason string
	ex, err := exchange.New(review10Verifier{&oidc.Verified{Identity: who, Expiry: time.Now().Add(time.Minute)}}, ca, tm, exchange.WithIssuer("https://ci.test"),
		exchange.WithAudit(audit.SinkFunc(func(_ context.Context, e audit.Event) error { reason = e.Reason; return nil })))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ex.X509SVID(t.Context(), "token")
	var cv *exchange.ClaimValueError
	if !errors.As(err, &cv) || cv.Value != env {
		t.Fatalf("err = %v, want a ClaimValueError holding the value", err)
	}
	for name, s := range map[string]string{"error": err.Error(), "audit reason": reason} {
		if len(s) > 512 || strings.ContainsRune(s, 'ⅹ') {
			t.Errorf("%s of %d bytes quotes the value unclipped or not in ASCII: %.80s", name, len(s), s)
		}
	}
}
