package svid_test

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/svid"
)

// TestReview21CheckPeerKeyUsageNoChain: without a verified chain there is
// no key purpose to check, and the answer is a refusal, never a pass.
func TestReview21CheckPeerKeyUsageNoChain(t *testing.T) {
	t.Parallel()
	for _, chains := range [][][]*x509.Certificate{nil, {}, {{}}} {
		err := svid.CheckPeerKeyUsage(chains, x509.ExtKeyUsageClientAuth)
		if !errors.Is(err, svid.ErrKeyUsage) || !errors.Is(err, svid.ErrInvalidSVID) {
			t.Errorf("CheckPeerKeyUsage(%v) = %v, want ErrKeyUsage and ErrInvalidSVID", chains, err)
		}
	}
}
