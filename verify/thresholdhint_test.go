package verify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
)

// A bundle from the embedded CA and TSA carries no log entry and no SCT. The
// default thresholds refuse it, and the error names the options that accept
// such a private setup on purpose.
func TestThresholdErrorsNameTheFix(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	tests := []struct {
		name string
		opts []verify.Option
		want error
		hint string
	}{
		{"default thresholds", nil, verify.ErrTlog, "WithTlogThreshold(0)"},
		{"no log, SCT still required", []verify.Option{verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1)},
			verify.ErrCertificateTransparency, "WithSCTThreshold(0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New(e.trust, rtExpectation(), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("err = %v; want %v naming %s", err, tt.want, tt.hint)
			}
		})
	}
}
