package workload_test

import (
	"context"
	"errors"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
)

func TestNewServerRejectsNilOption(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("ci.test"))
	if err != nil {
		t.Fatal(err)
	}
	attest := workload.AttestorFunc(func(context.Context, workload.Caller) (spiffeid.ID, error) { return spiffeid.ID{}, nil })
	if _, err := workload.NewServer(iss, attest, nil); !errors.Is(err, workload.ErrConfig) {
		t.Fatalf("NewServer(nil Option) = %v, want ErrConfig", err)
	}
}
