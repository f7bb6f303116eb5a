package svid

import (
	"errors"
	"fmt"
	"time"

	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
)

// ErrInvalidSVID: an SVID does not satisfy its specification: a PEM
// X.509-SVID (X509-SVID specification, or its key does not match) or a
// JWT-SVID (JWT-SVID specification, signature, audience, expiry).
var ErrInvalidSVID = errors.New("svid: invalid SVID")

// ValidityError reports an SVID certificate used outside its validity
// period.
type ValidityError struct {
	Subject             string
	NotBefore, NotAfter time.Time
	At                  time.Time
}

func (e *ValidityError) Error() string {
	return fmt.Sprintf("%v: %s valid %s to %s, not at %s", ErrInvalidSVID, e.Subject,
		e.NotBefore.UTC().Format(time.RFC3339), e.NotAfter.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
}

func (e *ValidityError) Unwrap() error { return ErrInvalidSVID }

// ParseX509 parses a PEM X.509-SVID (certificate chain, leaf first) and its
// PEM private key, for example files written by a SPIFFE agent, and checks
// it as the X509-SVID specification requires (go-spiffe's x509svid.Parse:
// one SPIFFE ID URI SAN, leaf not a CA, digitalSignature and no
// keyCertSign/cRLSign on the leaf, CA flag and keyCertSign on signers, key
// matching the leaf) and that every certificate is valid at now, which
// x509svid.Parse does not check. The result is a static x509svid.Source.
func ParseX509(certsPEM, keyPEM []byte, now time.Time) (*x509svid.SVID, error) {
	s, err := x509svid.Parse(certsPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSVID, err)
	}
	for _, c := range s.Certificates {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return nil, &ValidityError{Subject: c.Subject.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter, At: now}
		}
	}
	return s, nil
}
