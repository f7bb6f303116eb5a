package workload_test

import (
	"testing"

	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview21FetchJWTSVIDSeveralAudiences: a workload could ask the
// Workload API for one JWT-SVID for [vault, gate], and Vault could then
// replay it at the gate. The server follows its issuer's choice: several
// audiences are refused (InvalidArgument) unless the issuer was built
// svid.WithMultipleAudiences; one audience is issued either way.
func TestReview21FetchJWTSVIDSeveralAudiences(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts []svid.Option
		want codes.Code
	}{
		"default issuer":        {nil, codes.InvalidArgument},
		"WithMultipleAudiences": {[]svid.Option{svid.WithMultipleAudiences()}, codes.OK},
	} {
		iss, err := svid.NewIssuer(td, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/a")))
		if err != nil {
			t.Fatal(err)
		}
		client, ctx := review11Client(t, srv)
		if _, err := client.FetchJWTSVID(ctx, &workload.JWTSVIDRequest{Audience: []string{"vault", "gate"}}); status.Code(err) != tc.want {
			t.Errorf("%s: FetchJWTSVID for [vault gate]: %v, want %v", name, err, tc.want)
		}
		if _, err := client.FetchJWTSVID(ctx, &workload.JWTSVIDRequest{Audience: []string{"gate"}}); err != nil {
			t.Errorf("%s: FetchJWTSVID for [gate]: %v", name, err)
		}
	}
}
