package egress

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/ztci/ztci/internal/strictjson"
)

// EndExpired ends a connection (a tunnel or a forwarded request) whose
// credential expired while it was open: the job token's exp, or the
// NotAfter of the client SVID's chain. The proxy cuts it then, as
// [Proxy.Cut] does, and its [ActionClose] event says so.
const EndExpired = "expired"

// errNoExpiry: a token the verifier accepted says nothing the proxy can
// read of when it expires; without that, nothing would end its tunnels.
var errNoExpiry = errors.New("egress: the token carries no expiry the proxy can read (a JWT with a numeric exp claim)")

// errExpired: the credential verified but has expired by the proxy's
// clock (a verifier may allow some leeway past exp; the proxy does not).
var errExpired = errors.New("egress: the credential has expired")

// maxExp bounds the exp the proxy accepts, in seconds since the epoch, as
// identity/oidc bounds a NumericDate (about the year 36812).
const maxExp = 1 << 40

// tokenExpiry returns the exp claim of raw, a compact JWS (a JWT) whose
// signature the token verifier has checked: its payload is what the
// issuer signed. Anything else wraps errNoExpiry: a token of another
// shape, a payload that is not a strict JSON object (members repeated or
// spelt "EXP", which two readers could read as two expiries), or an exp
// that is not a NumericDate.
func tokenExpiry(raw string) (time.Time, error) {
	_, rest, ok := strings.Cut(raw, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(sig, ".") {
		return time.Time{}, errNoExpiry
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil || strictjson.Check(b, "exp") != nil {
		return time.Time{}, errNoExpiry
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp == nil || *claims.Exp < 0 || *claims.Exp > maxExp {
		return time.Time{}, errNoExpiry
	}
	sec, frac := math.Modf(*claims.Exp)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// chainsExpiry returns when the last of the verified chains stops
// verifying: each ends with the earliest NotAfter of its certificates.
// No chain is the zero time, which has always passed.
func chainsExpiry(chains [][]*x509.Certificate) time.Time {
	var latest time.Time
	for _, chain := range chains {
		var end time.Time
		for i, c := range chain {
			if i == 0 || c.NotAfter.Before(end) {
				end = c.NotAfter
			}
		}
		if end.After(latest) {
			latest = end
		}
	}
	return latest
}
