package secrets

import (
	"io"
	"strings"
	"testing"
)

// TestReview22InvisibleHeld checks the bound on what a writer holds
// between writes, whatever hidden bytes the stream holds (see Hidden
// bytes): the context, twice the hold-back, and invSlack and the budget
// for hidden bytes.
func TestReview22InvisibleHeld(t *testing.T) {
	t.Parallel()
	secret := "pa55w0rd-CANARY-Zq8Lm3Vx7Rt2Nb6Kc1Wy4Hs9Gd5Jf0Pe"
	r := NewRedactor()
	r.AddMask(secret)
	m := r.m.Load()
	bound := 3*m.hold + invSlack + invBudget*m.hold
	spread := func(sep string) string {
		return "k=" + strings.Join(strings.Split(secret, ""), sep) + "\n"
	}
	for _, in := range []string{
		strings.Repeat("\u200b", 20000),
		strings.Repeat(`\u200b`, 5000) + strings.Repeat("&ZeroWidthSpace;x", 2000),
		strings.Repeat("\x1b[31m\x1b[K\x1b[m", 5000),
		spread(strings.Repeat("\u200b", 5)) + spread(strings.Repeat("&#8203;", 40)) + spread(strings.Repeat("\u2060", 400)),
		strings.Repeat("ordinary log text, line after line\n", 500),
	} {
		for _, size := range []int{1, 3, 64, 4 * m.hold} {
			w := r.NewWriter(io.Discard)
			for off := 0; off < len(in); off += size {
				if _, err := w.Write([]byte(in[off:min(off+size, len(in))])); err != nil {
					t.Fatal(err)
				}
				if len(w.buf) > bound {
					t.Fatalf("%.40q… in writes of %d: %d bytes held, more than %d", in, size, len(w.buf), bound)
				}
			}
		}
	}
}
