package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

func TestNewRejectsNilOption(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.test")
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier("https://ci.test", "spiffe://ci.test", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := exchange.ParseTemplate("/ci/{platform}/{repository...}")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exchange.New(v, ca, tm, nil); !errors.Is(err, exchange.ErrConfig) {
		t.Fatalf("New(nil Option) = %v, want ErrConfig", err)
	}
}
