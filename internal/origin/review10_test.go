package origin_test

import (
	"testing"

	"github.com/ztci/ztci/internal/origin"
)

// Plain http may carry a credential (or fetch keys) only where the bytes
// cannot leave the machine, and only an IP literal says so to both this
// check and the dial. The name "localhost" was trusted without being
// resolved, but Go resolves it like any other name: the hosts file, then
// DNS, search domains first, so where the hosts file has no entry whoever
// answers for localhost.<search domain> received the credential in clear.
func TestReview10LoopbackIsALiteral(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"http://127.0.0.1:8080":          true,
		"http://127.8.9.10/":             true,
		"http://[::1]:8080":              true,
		"http://[::ffff:127.0.0.1]:8080": true, // dialled as 127.0.0.1
		"http://localhost:8080":          false,
		"http://LOCALHOST":               false,
		"http://localhost.:8080":         false,
		"http://app.localhost":           false,
		"http://127.0.0.1.nip.io":        false,
		"http://0.0.0.0:8080":            false,
		"http://[::]:8080":               false,
		"http://2130706433":              false, // 127.0.0.1 to some resolvers, a name to Go
		"http://0177.0.0.1":              false,
		"http://127.1":                   false,
		"http://[::1%25lo]:8080":         false,
	} {
		u := parse(t, s)
		if got := origin.Loopback(u); got != want {
			t.Errorf("Loopback(%s) = %v, want %v", s, got, want)
		}
		if got := origin.Secure(u); got != want {
			t.Errorf("Secure(%s) = %v, want %v", s, got, want)
		}
	}
}
