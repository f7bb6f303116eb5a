package tsa_test

import (
	"bytes"
	"crypto"
	"errors"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest/tsa"
)

// TestReview6QueryVersion: RFC 3161 §2.4.1 defines TimeStampReq version
// v1 only. digitorus/timestamp parses the version and drops it, so a query
// of version 2 (or 0) was stamped as if it were v1: a request in a format
// this TSA does not know is rejected (badRequest), not answered.
func TestReview6QueryVersion(t *testing.T) {
	t.Parallel()
	a, err := tsa.New(tsa.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: make([]byte, 32)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Timestamp(t.Context(), v1); err != nil {
		t.Fatalf("v1 query: %v", err)
	}
	// The version is the first member of the outer SEQUENCE: INTEGER 1.
	i := bytes.Index(v1, []byte{0x02, 0x01, 0x01})
	if i < 0 || i > 4 {
		t.Fatalf("no version at the start of %x", v1)
	}
	for _, v := range []byte{0, 2, 0x7f} {
		q := bytes.Clone(v1)
		q[i+2] = v
		_, err := a.Timestamp(t.Context(), q)
		var rej *tsa.RejectionError
		if !errors.Is(err, tsa.ErrInvalidQuery) || !errors.As(err, &rej) || rej.Info != tsa.FailBadRequest {
			t.Errorf("version %d: err = %v, want a badRequest rejection", v, err)
		}
	}
}
