package svr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

// A skew of days lets a result dated days ahead pass as fresh for as
// long: the window the future check exists to close.
func TestReview38ExpectClockSkewBounded(t *testing.T) {
	t.Parallel()
	d, err := attest.ParseDigest("sha256:" + "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	if err != nil {
		t.Fatal(err)
	}
	base := svr.Expect{Subject: d, VerifierID: "https://gate.example/deploy", MaxAge: time.Hour}
	for _, tt := range []struct {
		name string
		skew time.Duration
		ok   bool
	}{
		{"default", 0, true},
		{"at the bound", svr.MaxClockSkew, true},
		{"past the bound", svr.MaxClockSkew + time.Nanosecond, false},
		{"a year", 365 * 24 * time.Hour, false},
		{"negative", -time.Second, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := base
			e.ClockSkew = tt.skew
			err := e.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, svr.ErrExpectation) {
				t.Fatalf("Validate = %v, want ErrExpectation", err)
			}
		})
	}
}
