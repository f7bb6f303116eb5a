package secrets

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestFragmentRule checks the rule that keeps alignment fragments from
// masking ordinary text (see fragment): for every value length from
// MinMaskLen on and every offset, a base64 or base32 fragment holds at
// least 8·(len(v)-1) of the value's bits, is at least MinMaskLen
// characters long, and is the part of the encoding of the value inside
// any longer string.
func TestFragmentRule(t *testing.T) {
	t.Parallel()
	for _, e := range []struct {
		enc        textEncoding
		bits, span int
	}{
		{base64.RawStdEncoding, 6, 3},
		{base64.RawURLEncoding, 6, 3},
		{base32Std, 5, 5},
		{base32Hex, 5, 5},
	} {
		for n := MinMaskLen; n <= 64; n++ {
			v := strings.Repeat("\xa5", n)
			for off := range e.span {
				f := fragment(e.enc, v, off)
				if len(f) < MinMaskLen || len(f)*e.bits < 8*(n-1) {
					t.Fatalf("%d bits a char, %d bytes at offset %d: fragment of %d chars", e.bits, n, off, len(f))
				}
				// Whatever surrounds the value, the fragment is in its
				// encoding.
				for _, around := range []string{"\x00", "\xff", "\x5a"} {
					s := strings.Repeat(around, off) + v + strings.Repeat(around, 7)
					if !strings.Contains(e.enc.EncodeToString([]byte(s)), f) {
						t.Fatalf("%d bits a char, %d bytes at offset %d: fragment not in the encoding", e.bits, n, off)
					}
				}
			}
		}
	}
}
