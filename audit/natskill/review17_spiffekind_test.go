package natskill

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestReview17SPIFFEMarkIsASCIISPIFFE: a KindSPIFFE mark is checked by
// SPIFFE ID, which gates take from go-spiffe, ASCII only and beginning
// "spiffe://". The SPIFFE syntax check applied only to ids beginning
// "spiffe://", so a mark of "spıffe://example.org/ci" (dotless i), or of
// the id without its scheme, was recorded and audited as in force and
// denied nobody. Refused before the bucket is touched (the switch here has
// none: reaching it would panic).
func TestReview17SPIFFEMarkIsASCIISPIFFE(t *testing.T) {
	t.Parallel()
	s := &Switch{}
	for _, id := range []string{
		"spıffe://example.org/ci",         // dotless i: not the scheme
		"ｓpiffe://example.org/ci",         // fullwidth s
		"example.org/ci",                  // no scheme
		"spiffe://example.org/jose\u0301", // NFD: SPIFFE paths are ASCII
		"spiffe://example.org/jos\u00e9",  // NFC likewise
	} {
		if err := s.Mark(context.Background(), KindSPIFFE, id, "r", "op", time.Time{}); !errors.Is(err, ErrConfig) {
			t.Errorf("Mark(KindSPIFFE, %q) = %v, want ErrConfig", id, err)
		}
	}
}
