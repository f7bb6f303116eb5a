package svid

import (
	"crypto/x509"
	"fmt"
	"slices"
)

// ErrKeyUsage: a peer's X.509-SVID is not for TLS authentication in the
// role it was presented in: its leaf lacks digitalSignature (X509-SVID
// §4.3), or a certificate of its chain has an extended key usage that
// leaves out the role's (clientAuth for a client, serverAuth for a
// server; X509-SVID §4.4). It wraps [ErrInvalidSVID].
var ErrKeyUsage = fmt.Errorf("%w: key not for this use", ErrInvalidSVID)

// CheckPeerKeyUsage returns nil when chains (verified, leaf first, as
// go-spiffe's x509svid.Verify returns them) hold a leaf with
// digitalSignature and at least one chain every certificate of which
// permits use (no extended key usage, anyExtendedKeyUsage, or use), the
// test crypto/x509 makes for TLS. go-spiffe verifies with ExtKeyUsageAny
// and never reads the leaf's key usage, so a certificate a CA of the
// bundle signed for another purpose (code signing, say) would otherwise
// authenticate a TLS peer; identity/mtls and identity/httpauth call this.
func CheckPeerKeyUsage(chains [][]*x509.Certificate, use x509.ExtKeyUsage) error {
	if len(chains) == 0 || len(chains[0]) == 0 {
		return fmt.Errorf("%w: no verified chain", ErrKeyUsage)
	}
	if chains[0][0].KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("%w: leaf without digitalSignature", ErrKeyUsage)
	}
	for _, chain := range chains {
		if !slices.ContainsFunc(chain, func(c *x509.Certificate) bool { return !permits(c, use) }) {
			return nil
		}
	}
	return fmt.Errorf("%w: extended key usage does not permit %s", ErrKeyUsage, useName(use))
}

// permits reports whether c's extended key usage allows use.
func permits(c *x509.Certificate, use x509.ExtKeyUsage) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) || slices.Contains(c.ExtKeyUsage, use)
}

func useName(use x509.ExtKeyUsage) string {
	switch use {
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	}
	return fmt.Sprintf("extended key usage %d", use)
}
