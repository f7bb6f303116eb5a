package secrets_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// Invisible characters spread over more than the hold-back: a job that
// wrote its secret a byte a write with more than five bytes of invisible
// characters (raw, or escaped as \u200b, &#8203;, %E2%80%8B …) after each
// byte spread its form over more than the writer held back, so the
// writer settled and wrote out the value's start before its end arrived,
// and a browser showed the value whole.

// holdSecret is long (so its hold-back is the longest) and repeats no
// 8 bytes, so that any part of it left in the output is found.
const holdSecret = "pa55w0rd-CANARY-Zq8Lm3Vx7Rt2Nb6Kc1Wy4Hs9Gd5Jf0Pe"

// holdSeps are invisible characters, raw and escaped, one of each length.
var holdSeps = []string{"\u200b", "\U000e0041", "\u00ad\u2060", `\u200b`, `\xe2\x80\x8b`, `\U000e0041`, "&#8203;", "%E2%80%8B", "&ZeroWidthSpace;"}

// smallWrites splits s into writes of 1 to 7 bytes.
func smallWrites(s string, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 22))
	var out [][]byte
	for len(s) > 0 {
		k := min(1+rng.IntN(7), len(s))
		out = append(out, []byte(s[:k]))
		s = s[k:]
	}
	return out
}

// leaked returns the first 8 bytes of secret found in out with sep
// removed, or "".
func leaked(out, sep, secret string) string {
	out = strings.ReplaceAll(out, sep, "")
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+8]) {
			return secret[i : i+8]
		}
	}
	return ""
}

// TestReview22InvisibleHold writes the secret with n separators after
// each byte, for n up to far past what the writer holds back for them, a
// byte a write and in random small writes: within the budget it is
// masked as a secret, past it the stretch is masked whole; nothing of it
// is ever written out.
func TestReview22InvisibleHold(t *testing.T) {
	t.Parallel()
	for _, sep := range holdSeps {
		for _, n := range []int{1, 2, 4, 8, 16, 32} {
			t.Run(fmt.Sprintf("%+q/%d", sep, n), func(t *testing.T) {
				t.Parallel()
				r := secrets.NewRedactor()
				r.AddMask(holdSecret)
				in := "token=" + between(holdSecret, strings.Repeat(sep, n)) + "\nnext line\n"
				for i, chunks := range [][][]byte{bytewise(in), smallWrites(in, uint64(n)), {[]byte(in)}} {
					out := redactAll(t, r, chunks...)
					if l := leaked(out, sep, holdSecret); l != "" {
						t.Fatalf("split %d: %q leaked: %q", i, l, out)
					}
					// Up to 24 bytes a byte of the value are within the
					// budget (see the package documentation).
					if n*len(sep) <= 24 && out != "token="+secrets.Mask+"\nnext line\n" {
						t.Errorf("split %d: within the budget, not masked as a secret: %q", i, out)
					}
				}
			})
		}
	}
}

// TestReview22InvisibleHoldTextKept checks that text is written as it
// came however it is split: text with invisible characters here and
// there, a coloured log (grep --color around every character, which takes
// more bytes than the budget), and the text more than a hold-back's worth
// of other bytes away from a run of invisible characters past the budget.
func TestReview22InvisibleHoldTextKept(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(holdSecret)
	var lines strings.Builder
	for i := range 40 {
		fmt.Fprintf(&lines, "%03d step ok zero\u200bwidth &#8203; %%E2%%80%%8B \\u200b soft\u00adhyphen\n", i)
	}
	plain := lines.String()
	colour := between(strings.Repeat("pa55w0rd-CANARY-notthevalue ", 30), "\x1b[01;31m\x1b[K\x1b[m\x1b[K") + "\n"
	for _, in := range []string{plain, colour} {
		for i, chunks := range [][][]byte{bytewise(in), smallWrites(in, 7), {[]byte(in)}} {
			if out := redactAll(t, r, chunks...); out != in {
				t.Errorf("split %d: %.80q… came out as %.80q…", i, in, out)
			}
		}
	}
	dense := strings.Repeat("\u200b", 4000)
	for i, chunks := range [][][]byte{bytewise(plain + dense + plain), smallWrites(plain+dense+plain, 9)} {
		out := redactAll(t, r, chunks...)
		if !strings.HasPrefix(out, plain[:len(plain)/2]) || !strings.HasSuffix(out, plain[len(plain)/2:]) {
			t.Errorf("split %d: the text around a run of invisible characters is lost: %d bytes out", i, len(out))
		}
		if !strings.Contains(out, secrets.Mask) {
			t.Errorf("split %d: a run of invisible characters past the budget is not masked", i)
		}
	}
}

// FuzzReview22InvisibleHold writes the secret with a separator repeated
// after each byte, between arbitrary text, in random small writes: the
// counting of hidden bytes reads every escape the fuzzer makes up without
// failing, and where the separator is an invisible character the secret
// never leaks.
func FuzzReview22InvisibleHold(f *testing.F) {
	for i, sep := range holdSeps {
		f.Add(sep, uint8(4*i), "k=", uint64(i))
	}
	f.Add(`\M-b\M-\C-@\M-\C-K`, uint8(9), `%25`, uint64(1))
	f.Add("%25E2%2580%258B", uint8(30), `&`, uint64(2))
	f.Fuzz(func(t *testing.T, sep string, n uint8, pre string, seed uint64) {
		if len(sep) > 32 || len(pre) > 64 {
			return
		}
		r := secrets.NewRedactor()
		r.AddMask(holdSecret)
		in := pre + " " + between(holdSecret, strings.Repeat(sep, int(n%48))) + " end\n"
		out := redactAll(t, r, smallWrites(in, seed)...)
		if slices.Contains(holdSeps, sep) {
			if l := leaked(out, sep, holdSecret); l != "" {
				t.Fatalf("%q leaked: %q", l, out)
			}
		}
	})
}
