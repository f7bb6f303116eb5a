package svid_test

import (
	"errors"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview21JWTSVIDAudienceReplay: a JWT-SVID minted for [vault, gate]
// was accepted by a JWTVerifier for gate, so Vault, which holds the token,
// could replay it at the gate as the workload. Now the issuer refuses
// several audiences and the verifier refuses a token that lists audiences
// besides its own (ErrMultipleAudiences), unless WithMultipleAudiences
// opts in on that side; a token for the verifier alone still verifies.
func TestReview21JWTSVIDAudienceReplay(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	id := spiffeid.RequireFromPath(td, "/job/a")
	single, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := single.JWTSVID(ctx, id, time.Time{}, "vault", "gate"); !errors.Is(err, svid.ErrMultipleAudiences) || !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("JWTSVID for [vault gate] without WithMultipleAudiences = %v, %v; want ErrMultipleAudiences and ErrConfig", s, err)
	}
	multi, err := svid.NewIssuer(td, svid.WithMultipleAudiences())
	if err != nil {
		t.Fatal(err)
	}
	both, err := multi.JWTSVID(ctx, id, time.Time{}, "vault", "gate")
	if err != nil {
		t.Fatalf("JWTSVID for [vault gate] WithMultipleAudiences: %v", err)
	}
	gateOnly, err := multi.JWTSVID(ctx, id, time.Time{}, "gate")
	if err != nil {
		t.Fatal(err)
	}

	gate, err := svid.NewJWTVerifier(multi, "gate")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := gate.Verify(ctx, both.Marshal()); !errors.Is(err, svid.ErrMultipleAudiences) || !errors.Is(err, svid.ErrInvalidSVID) {
		t.Errorf("gate verifier, token for [vault gate]: %v, %v; want ErrMultipleAudiences and ErrInvalidSVID", got, err)
	}
	if got, err := gate.Verify(ctx, gateOnly.Marshal()); err != nil || got.SPIFFEID != id {
		t.Errorf("gate verifier, token for [gate]: %v, %v", got, err)
	}
	lenient, err := svid.NewJWTVerifier(multi, "gate", svid.WithMultipleAudiences())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := lenient.Verify(ctx, both.Marshal()); err != nil || got.SPIFFEID != id {
		t.Errorf("gate verifier WithMultipleAudiences, token for [vault gate]: %v, %v", got, err)
	}

	for name, opt := range map[string]svid.Option{"issuer option": svid.WithJWTTTL(time.Minute), "nil": nil} {
		if v, err := svid.NewJWTVerifier(multi, "gate", opt); !errors.Is(err, svid.ErrConfig) {
			t.Errorf("NewJWTVerifier with %s = %v, %v; want ErrConfig", name, v, err)
		}
	}
}

// TestReview21SPIREJWTSVIDAudiences: a JWT-SVID a real SPIRE agent issues
// for one audience verifies with a JWTVerifier over the agent's bundle; one
// a client asked SPIRE for with several audiences (go-spiffe lets it) is
// refused unless the verifier opts in.
func TestReview21SPIREJWTSVIDAudiences(t *testing.T) {
	ctx := t.Context()
	spireTD := spiffeid.RequireTrustDomainFromString("spire.test")
	job := spiffeid.RequireFromPath(spireTD, "/job/deploy")
	spire := itest.StartSPIRE(t, spireTD.Name())
	spire.CreateEntry(t, itest.Entry{SPIFFEID: job.String(), Selectors: []string{itest.UIDSelector()}})
	spire.WaitX509SVID(t, job.String())
	src, err := workload.Open(ctx, spire.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	one, err := src.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "gate"})
	if err != nil {
		t.Fatal(err)
	}
	both, err := src.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "vault", ExtraAudiences: []string{"gate"}})
	if err != nil {
		t.Fatal(err)
	}
	gate, err := svid.NewJWTVerifier(src, "gate")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := gate.Verify(ctx, one.Marshal()); err != nil || got.SPIFFEID != job {
		t.Errorf("SPIRE JWT-SVID for [gate]: %v, %v", got, err)
	}
	if got, err := gate.Verify(ctx, both.Marshal()); !errors.Is(err, svid.ErrMultipleAudiences) {
		t.Errorf("SPIRE JWT-SVID for [vault gate]: %v, %v; want ErrMultipleAudiences", got, err)
	}
	lenient, err := svid.NewJWTVerifier(src, "gate", svid.WithMultipleAudiences())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := lenient.Verify(ctx, both.Marshal()); err != nil || got.SPIFFEID != job {
		t.Errorf("SPIRE JWT-SVID for [vault gate], verifier WithMultipleAudiences: %v, %v", got, err)
	}
}
