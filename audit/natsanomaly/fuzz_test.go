package natsanomaly

import (
	"bytes"
	"testing"
)

// FuzzDecodePosition: decodePosition never panics, and what it accepts is
// exactly what encode writes for the position it returns.
func FuzzDecodePosition(f *testing.F) {
	for _, s := range []string{
		"0 0", "13 1764583200000000000", "18446744073709551615 9223372036854775807", "1 -5",
		"", "12", "012 5", "-1 5", "12  5", "12 5 ", " 12 5", "+1 5", "1 0x5", "1_0 5", "12\t5",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePosition(b)
		if err != nil {
			return
		}
		if got := p.encode(); !bytes.Equal(got, b) {
			t.Fatalf("decodePosition(%q) = %+v, which encodes as %q", b, p, got)
		}
	})
}
