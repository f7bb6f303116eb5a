package attest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestOptionsRejectMisuse: an unusable option value, a nil Option or one
// that does not apply to the constructor fails construction with ErrConfig
// (inside ErrSigner), never silently.
func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  attest.Option
	}{
		{"nil option", nil},
		{"relative TSA URL", attest.WithTimestampAuthority("tsa.example/api/v1/timestamp")},
		{"empty TSA URL", attest.WithTimestampAuthority("")},
		{"nil embedded TSA", attest.WithEmbeddedTimestampAuthority(nil)},
		{"Rekor version 3", attest.WithRekor("https://rekor.example", 3)},
		{"empty Rekor URL", attest.WithRekor("", 2)},
		{"nil transport", attest.WithTransport(nil)},
		{"zero timeout", attest.WithTimeout(0)},
		{"nil logger", attest.WithLogger(nil)},
		{"no timestamps on a key signer", attest.WithoutTimestampsUnsafe()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := attest.NewKeySigner(key, tt.opt)
			if !errors.Is(err, attest.ErrConfig) || !errors.Is(err, attest.ErrSigner) {
				t.Fatalf("NewKeySigner(%s) = %v, want ErrConfig", tt.name, err)
			}
		})
	}
	ok := []attest.Option{
		attest.WithTimestampAuthority("https://tsa.example/api/v1/timestamp"),
		attest.WithEmbeddedTimestampAuthority(http.NotFoundHandler()),
		attest.WithRekor("https://rekor.example", 2),
		attest.WithTransport(http.DefaultTransport),
		attest.WithLogger(slog.New(slog.DiscardHandler)),
	}
	if _, err := attest.NewKeySigner(key, ok...); err != nil {
		t.Fatalf("NewKeySigner with valid options: %v", err)
	}
}
