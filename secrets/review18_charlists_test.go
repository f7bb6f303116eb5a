package secrets_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// readReview18 returns the entries of testdata/encoders/review18.json: what
// Python, Node.js, Ruby, Java and Rust printed of a secret split into
// characters, or as 0x-prefixed bytes with a space between (review18.py
// regenerates the file), and Go's own forms of the same.
func readReview18(t *testing.T) []toolTrace {
	t.Helper()
	raw, err := os.ReadFile("testdata/encoders/review18.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []toolTrace
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 50 {
		t.Fatalf("%d vectors; review18.json is truncated", len(vs))
	}
	seen := map[string]bool{}
	for _, v := range vs[:len(vs):len(vs)] {
		if !seen[v.Secret] {
			seen[v.Secret] = true
			vs = append(vs,
				toolTrace{v.Secret, "go %q of []rune", fmt.Sprintf("%q", []rune(v.Secret))},
				toolTrace{v.Secret, `go "% #x"`, fmt.Sprintf("% #x", v.Secret)})
		}
	}
	return vs
}

// TestReview18CharListsAndSpacedHex: a secret printed as a list of its
// characters — Java's Arrays.toString of the char[] a password is read
// into ([p, a, s, s]), Python's list(s), Rust's {:?} of its chars, Go's %q
// of a []rune, Ruby's chars, the JSON of an array of characters — or as
// 0x-prefixed bytes with a space between (Go's "% #x", Java's HexFormat
// with prefix 0x, Python's ' '.join(f'{c:#04x}')) came through whole:
// none of those spellings was a pattern. Each is masked whole (the
// brackets stay), in one write, byte by byte and split anywhere.
func TestReview18CharListsAndSpacedHex(t *testing.T) {
	t.Parallel()
	for _, v := range readReview18(t) {
		t.Run(v.Encoder, func(t *testing.T) {
			t.Parallel()
			r := secrets.NewRedactor()
			if err := r.AddMaskChecked(v.Secret); err != nil {
				t.Fatal(err)
			}
			in := "log:\n" + v.Form + "\nend\n"
			want := "log:\n" + secrets.Mask + "\nend\n"
			if strings.HasPrefix(v.Form, "[") {
				want = "log:\n[" + secrets.Mask + "]\nend\n"
			}
			check := func(how string, chunks ...[]byte) {
				t.Helper()
				if out := redactAll(t, r, chunks...); out != want {
					t.Fatalf("%s: secret %q printed as %q: output %q, want %q", how, v.Secret, v.Form, out, want)
				}
			}
			check("one write", []byte(in))
			check("byte by byte", bytewise(in)...)
			for i := 1; i < len(in); i++ {
				check(fmt.Sprintf("split at %d", i), []byte(in[:i]), []byte(in[i:]))
			}
		})
	}
}

// TestReview18CharListsOrdinaryText: the new spellings mask only a
// registered value's characters, all of them and in order.
func TestReview18CharListsOrdinaryText(t *testing.T) {
	t.Parallel()
	const secret = "Zq9xK2mP8vL4nR6tY1wQ"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	for _, in := range []string{
		"flags: [a, b, c, d, e, f, g, h, i, j, k]\n",
		"['Z', 'q', '9', 'x', 'K', '2', 'm', 'P', '8', 'v', 'L', '4', 'n', 'R', '6', 't', 'Y', '1', 'w']\n", // one character short
		"[Z, q, 9, x, K, 2, m, P, 8, v, L, 4, n, R, 6, t, Y, 1, Q, w]\n",                                    // two swapped
		"regs: 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0a\n",
	} {
		if out := redactAll(t, r, []byte(in)); out != in {
			t.Errorf("%q masked as %q", in, out)
		}
	}
}

// TestRedactNotMaskedReview18 pins the spellings of a value's characters
// and bytes that the package documentation lists as not masked.
func TestRedactNotMaskedReview18(t *testing.T) {
	t.Parallel()
	const secret = "Ab3x\u00e9\u20acYz7w-CANARY"
	var odB, spacedX []string
	for _, c := range []byte(secret) {
		odB = append(odB, fmt.Sprintf("%03o", c))
		spacedX = append(spacedX, fmt.Sprintf(`\x%02x`, c))
	}
	const md = "ghp_Zq9xK2mP8vL4nR6"
	for _, c := range []struct{ secret, in string }{
		// Node's console.log of [...s]: more than six short entries are
		// laid out in rows.
		{secret, "[\n  'A', 'b', '3', 'x',\n  'é', '€', 'Y', 'z',\n  '7', 'w', '-', 'C',\n  'A', 'N', 'A', 'R',\n  'Y'\n]\n"},
		// Python's json.dumps(list(s)) with its default ensure_ascii.
		{secret, `["A", "b", "3", "x", "\u00e9", "\u20ac", "Y", "z", "7", "w", "-", "C", "A", "N", "A", "R", "Y"]` + "\n"},
		// PHP's print_r(str_split(s)): one byte a line.
		{secret, "Array\n(\n    [0] => A\n    [1] => b\n    [2] => 3\n    [3] => x\n    [4] => \xc3\n    [5] => \xa9\n    [6] => \xe2\n" +
			"    [7] => \x82\n    [8] => \xac\n    [9] => Y\n    [10] => z\n    [11] => 7\n    [12] => w\n    [13] => -\n)\n"},
		{secret, " " + strings.Join(odB, " ") + "\n"},  // od -An -b: octal bytes
		{secret, strings.Join(spacedX, " ") + "\n"},    // \xHH escapes with a space between
		{secret, "Ab3xM-CM-)M-bM-^BM-,Yz7w-CANARY\n"},  // cat -v
		{md, strings.ReplaceAll(md, "_", `\_`) + "\n"}, // Markdown's \_ (read as YAML's non-breaking space)
		// A line of a multi-line value as a list of its characters.
		{"-----BEGIN KEY-----\nZq9xK2mP8vL4nR6tY1wQ\n-----END KEY-----\n", fmt.Sprintf("%q\n", []rune("Zq9xK2mP8vL4nR6tY1wQ"))},
	} {
		r := secrets.NewRedactor()
		r.AddMask(c.secret)
		if out := redactAll(t, r, []byte(c.in)); strings.Contains(out, secrets.Mask) {
			t.Errorf("%q is masked (%q); update the documented list", c.in, out)
		}
	}
}
