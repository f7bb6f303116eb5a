package gate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
)

// TestReview21ThirdPartyReportCategory: a rejected third-party summary's
// report repeated its error as it was, and the summary verifier's
// dependencies (an audit sink, trust material fetched online) write into
// that error; the caller is told its category, as for every other
// attestation.
func TestReview21ThirdPartyReportCategory(t *testing.T) {
	const canary = "nats://admin:r21-canary@audit.internal"
	for _, tc := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("%w: %w", ErrThirdPartyVSA, fmt.Errorf("%w: sink %s", verify.ErrAudit, canary)), verify.ErrAudit},
		{fmt.Errorf("%w: %s", ErrThirdPartyVSA, canary), ErrThirdPartyVSA},
		{fmt.Errorf("%w: %q", ErrThirdPartyVSAUntrusted, canary), ErrThirdPartyVSAUntrusted},
	} {
		info := rejected(t.Context(), AttestationInfo{}, tc.err)
		if strings.Contains(info.Error, "r21-canary") {
			t.Errorf("report %q repeats the error's text", info.Error)
		}
		if info.Error != tc.want.Error() {
			t.Errorf("report %q, want the category %q", info.Error, tc.want)
		}
		if !errors.Is(tc.err, tc.want) {
			t.Fatalf("test case: %v is not %v", tc.err, tc.want)
		}
	}
}
