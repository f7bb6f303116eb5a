package secrets_test

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// notReadDumps are the dumps in testdata/encoders/dumps.json that the
// redactor does not read, as the package documentation lists: xxd's
// default and Python's bytes.hex(" ", 2) write pairs of bytes, hexdump's
// default 16-bit words.
var notReadDumps = []string{"xxd,", "python3 bytes.hex(' ', 2),", "hexdump,"}

// dumpCases reads what real tools dumped of files holding a secret at every
// offset a line break can fall at (testdata/encoders/dumps.json, which
// dumps.py regenerates), and adds Go's hex.Dump of the same files. It
// returns the dumps the redactor reads and those it does not.
func dumpCases(t *testing.T) (read, notRead []classCase) {
	var secretsSeen []string
	for _, c := range readClassCases(t, "testdata/encoders/dumps.json", 1000) {
		if !slices.Contains(secretsSeen, c.secret) {
			secretsSeen = append(secretsSeen, c.secret)
		}
		if slices.ContainsFunc(notReadDumps, func(p string) bool { return strings.HasPrefix(c.encoder, p) }) {
			notRead = append(notRead, c)
		} else {
			read = append(read, c)
		}
	}
	for _, s := range secretsSeen {
		for pre := range 16 {
			file := strings.Repeat("#", pre) + s + "==="
			read = append(read, classCase{encoder: fmt.Sprintf("Go hex.Dump, secret at offset %d", pre), secret: s, form: hex.Dump([]byte(file))})
		}
	}
	return read, notRead
}

// TestRedactHexDumps writes each dump the redactor reads (xxd -p, xxd
// -g1, hexdump -C, od -tx1 with and without offsets and with its ASCII
// column, Go's hex.Dump) on lines of its own, in one write, byte by byte
// and split in two at many points, and fails unless the secret is one mask
// and nothing of it survives (see dumpLeak), and the text around the dump
// does.
func TestRedactHexDumps(t *testing.T) {
	t.Parallel()
	read, _ := dumpCases(t)
	for _, c := range read {
		t.Run(c.encoder, func(t *testing.T) {
			t.Parallel()
			r := secrets.NewRedactor()
			if err := r.AddMaskChecked(c.secret); err != nil {
				t.Fatal(err)
			}
			in := "log:\n" + c.form + "end\n"
			check := func(how string, chunks ...[]byte) {
				t.Helper()
				out := redactAll(t, r, chunks...)
				if !strings.HasPrefix(out, "log:\n") || !strings.HasSuffix(out, "\nend\n") || strings.Count(out, secrets.Mask) != 1 {
					t.Fatalf("%s, %s: secret %q dumped as\n%s\noutput\n%s", c.encoder, how, c.secret, c.form, out)
				}
				if leak := dumpLeak(out, c.secret); leak != "" {
					t.Fatalf("%s, %s: secret %q dumped as\n%s\n%q survives in\n%s", c.encoder, how, c.secret, c.form, leak, out)
				}
			}
			check("one write", []byte(in))
			check("byte by byte", bytewise(in)...)
			for i := 1; i < len(in); i += max(1, len(in)/32) {
				check(fmt.Sprintf("split at %d", i), []byte(in[:i]), []byte(in[i:]))
			}
		})
	}
}

// dumpLeak returns what out shows of any run of half MinMaskLen bytes of
// secret (so that a run of MinMaskLen broken over two lines is caught too),
// as a dump shows bytes: in hex with a space between them, between pairs
// of them or none (runs of spaces read as one), or as printable ASCII. It
// returns "" if out shows none.
func dumpLeak(out, secret string) string {
	spaces := regexp.MustCompile(` +`).ReplaceAllString(out, " ")
	for i := 0; i+secrets.MinMaskLen/2 <= len(secret); i++ {
		w := secret[i : i+secrets.MinMaskLen/2]
		for _, s := range []string{hex.EncodeToString([]byte(w)), fmt.Sprintf("% x", w), pairedHex(w, 0), pairedHex(w, 1)} {
			if strings.Contains(spaces, s) {
				return s
			}
		}
		if !strings.ContainsFunc(w, func(c rune) bool { return c < ' ' || c > '~' }) && strings.Contains(out, w) {
			return w
		}
	}
	return ""
}

// pairedHex returns w in hex with a space between pairs of bytes, as xxd
// writes it, the first pair phase bytes short.
func pairedHex(w string, phase int) string {
	h := hex.EncodeToString([]byte(w))
	var b strings.Builder
	for j := range len(w) {
		if j > 0 && (j+phase)%2 == 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[2*j : 2*j+2])
	}
	return b.String()
}

// TestRedactNotMaskedDumps pins the dumps the package documentation lists
// as not masked: real tools' dumps in pairs of bytes (xxd's default,
// Python's bytes.hex(" ", 2)) and 16-bit words (hexdump's default), and
// dumps in upper case, with text before each line, or with repeated lines
// squeezed into '*'.
func TestRedactNotMaskedDumps(t *testing.T) {
	t.Parallel()
	_, notRead := dumpCases(t)
	if len(notRead) < 100 {
		t.Fatalf("%d dumps not read; dumps.json is truncated", len(notRead))
	}
	secret := "CANARY-s3cr3t-Zq9vX2-do-not-leak"
	dump := hex.Dump([]byte("0123456789" + secret))
	var stamped strings.Builder
	for i, l := range strings.SplitAfter(dump, "\n") {
		if l != "" {
			fmt.Fprintf(&stamped, "2026-12-07T03:51:%02d.1234567Z %s", i, l)
		}
	}
	// A secret whose lines repeat, as hexdump -C and od write it: the
	// repeats as "*".
	repeats := strings.Repeat("Zq9vX2-s3cr3t-AB", 3)
	squeezed := strings.SplitAfter(hex.Dump([]byte(repeats)), "\n")
	squeezed = append(squeezed[:1], "*\n")
	for _, c := range append(notRead,
		classCase{encoder: "upper case (xxd -u -g1)", secret: secret, form: strings.ToUpper(dump)},
		classCase{encoder: "a timestamp before each line", secret: secret, form: stamped.String()},
		classCase{encoder: "repeated lines squeezed", secret: repeats, form: strings.Join(squeezed, "")},
	) {
		r := secrets.NewRedactor()
		r.AddMask(c.secret)
		// (The ASCII column of xxd's dump shows a printable secret's bytes
		// as they are: a secret on one line is masked there, and its hex
		// survives.)
		if out := redactAll(t, r, []byte(c.form)); strings.Contains(out, secrets.Mask) && dumpLeak(out, c.secret) == "" {
			t.Errorf("%s of %q is masked:\n%s\n%s\nupdate the documented list", c.encoder, c.secret, c.form, out)
		}
	}
}
