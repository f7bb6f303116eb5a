package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/exchange"
)

func TestNewRejectsNilOption(t *testing.T) {
	t.Parallel()
	_, v, ca, tm := exchangeParts(t, "/ci/{platform}/{repository...}")
	if _, err := exchange.New(v, ca, tm, nil); !errors.Is(err, exchange.ErrConfig) {
		t.Fatalf("New(nil Option) = %v, want ErrConfig", err)
	}
}
