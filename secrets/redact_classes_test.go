package secrets_test

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ztci/ztci/secrets"
)

// The classes of encodings that real CI logs carry and that the redactor
// did not mask until an outside review: UTF-16 (what PowerShell, .NET and
// other Windows tools write), base64 of UTF-16LE (PowerShell's
// -EncodedCommand), base32, and hex with separators or 0x prefixes.

// classCase is a secret as an encoder wrote it inside a longer text: the
// encoder wrote pre+form+post, and form is the secret's part (for base64
// and base32, the characters made only of the secret's bits).
type classCase struct {
	encoder         string
	secret          string
	pre, form, post string
	// slack is how many bytes of the text right around form may be masked
	// with it: in UTF-16 text the value's UTF-16LE and UTF-16BE both match,
	// one byte apart, so the zero byte of an ASCII neighbour goes too.
	slack int
}

// classSecrets are the secrets the Go-generated cases use: the shortest
// maskable one, ASCII, non-ASCII (ä, and 😀 as a surrogate pair), and a
// value that is not UTF-8 (for the byte encodings).
var classSecrets = []string{"pa55w0rd", canary, encCanary, "Ab3x😀Yz7w€-CANARY", "\xde\xad\xbe\xef\x00\x7f\x80\xff-CANARY"}

// utf16Text returns s (valid UTF-8) in UTF-16 in the given byte order.
func utf16Text(s string, order binary.AppendByteOrder) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return string(b)
}

// splitEncoded splits encoded, the base64 (bits 6) or base32 (bits 5) of
// pre bytes, a secret of secret bytes and any more, into the characters
// before the secret's, the secret's (made only of its bits) and the rest.
func splitEncoded(encoded string, bits, pre, secret int) (string, string, string) {
	start, end := (pre*8+bits-1)/bits, (pre+secret)*8/bits
	return encoded[:start], encoded[start:end], encoded[end:]
}

// goClassCases writes classSecrets with Go's encoders (unicode/utf16,
// encoding/base32, encoding/base64, encoding/hex, fmt).
func goClassCases() []classCase {
	var cs []classCase
	for _, s := range classSecrets {
		// Hex: fmt's "% x" and "% X", separators as Python's bytes.hex(sep)
		// and Java's HexFormat.ofDelimiter write them, 0x lists as xxd -i
		// and C arrays, \xHH as Python's bytes repr and C literals.
		h := hex.EncodeToString([]byte(s))
		join := func(pre, sep, h string) string {
			var parts []string
			for i := 0; i < len(h); i += 2 {
				parts = append(parts, pre+h[i:i+2])
			}
			return strings.Join(parts, sep)
		}
		cs = append(cs,
			classCase{encoder: `fmt "% x"`, secret: s, pre: "key: ", form: fmt.Sprintf("% x", s), post: "\n"},
			classCase{encoder: `fmt "% X"`, secret: s, pre: "69 64 3D ", form: fmt.Sprintf("% X", s), post: " 0A"},
			classCase{encoder: `fmt "%x"`, secret: s, pre: "id=", form: fmt.Sprintf("%x", s), post: "\n"},
			classCase{encoder: `fmt "%#v" of a []byte`, secret: s, pre: "[]byte{", form: strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", []byte(s)), "[]byte{"), "}"), post: "}"},
			classCase{encoder: `\xHH bytes`, secret: s, pre: `b'`, form: join(`\x`, "", h), post: `'`},
		)
		for _, sep := range []string{":", " ", "-", ",", ", "} {
			for _, hh := range []string{h, strings.ToUpper(h)} {
				cs = append(cs,
					classCase{encoder: fmt.Sprintf("hex, %q between bytes", sep), secret: s, pre: "fp=", form: join("", sep, hh), post: sep + "0a"},
				)
			}
		}
		for _, sep := range []string{",", ", "} {
			for _, hh := range []string{h, strings.ToUpper(h)} {
				cs = append(cs, classCase{encoder: fmt.Sprintf("0x list, %q", sep), secret: s, pre: "{ 0x69" + sep, form: join("0x", sep, hh), post: sep + "0x0a }"})
			}
		}

		// base32, both alphabets, padded or not, at each of the five
		// offsets in a 5-byte group (inside a longer string).
		for _, enc := range []struct {
			name string
			enc  *base32.Encoding
		}{
			{"base32 std", base32.StdEncoding},
			{"base32 std, unpadded", base32.StdEncoding.WithPadding(base32.NoPadding)},
			{"base32 hex", base32.HexEncoding},
			{"base32 hex, unpadded", base32.HexEncoding.WithPadding(base32.NoPadding)},
		} {
			for off := range 5 {
				lead := "user:"[:off]
				pre, form, post := splitEncoded(enc.enc.EncodeToString([]byte(lead+s+";ok")), 5, off, len(s))
				cs = append(cs, classCase{encoder: fmt.Sprintf("%s, offset %d", enc.name, off), secret: s, pre: "b32=" + pre, form: form, post: post + "\n"})
			}
			// Deep in a file, wrapped into lines of 76 as GNU base32 and
			// basenc write it, so that a line break falls in the secret's
			// part.
			lead := "# ci.env\nHOST=db\nUSER=ci\nPORT=5432\nPASS="
			e := enc.enc.EncodeToString([]byte(lead + s + "\n"))
			pre, form, _ := splitEncoded(e, 5, len(lead), len(s))
			at := func(i int) int { return i + i/76 } // where e[i] is once wrapped
			w := wrapLines(e, 76, "\n", "")
			start, end := at(len(pre)), at(len(pre)+len(form)-1)+1
			cs = append(cs, classCase{encoder: enc.name + ", a file wrapped at 76", secret: s, pre: w[:start], form: w[start:end], post: w[end:] + "\n"})
		}

		if s[0] == 0xde {
			continue // not UTF-8: no UTF-16
		}
		// UTF-16 with and without a BOM, the text around it in UTF-16 too.
		for _, u := range []struct {
			name  string
			order binary.AppendByteOrder
			bom   string
		}{
			{"UTF-16LE", binary.LittleEndian, ""},
			{"UTF-16BE", binary.BigEndian, ""},
			{"UTF-16LE with BOM", binary.LittleEndian, "\xff\xfe"},
			{"UTF-16BE with BOM", binary.BigEndian, "\xfe\xff"},
		} {
			cs = append(cs,
				classCase{encoder: u.name, secret: s, pre: u.bom + utf16Text("user=", u.order), form: utf16Text(s, u.order), post: utf16Text(" ok\r\n", u.order), slack: 1},
				classCase{encoder: u.name + ", at the start", secret: s, pre: u.bom, form: utf16Text(s, u.order), post: utf16Text("\r\n", u.order), slack: 1},
			)
		}
		// base64 of UTF-16LE: PowerShell's -EncodedCommand, at each of
		// the three offsets (the secret starts an even number of bytes
		// into the UTF-16LE), and wrapped as .NET's
		// Base64FormattingOptions.InsertLineBreaks writes it (76, CRLF).
		for _, lead := range []string{"$t='", "$tk='", "$tok='", "Write-Output 'token: "} {
			u := utf16Text(lead+s+"'; exit 0", binary.LittleEndian)
			pre, form, post := splitEncoded(base64.StdEncoding.EncodeToString([]byte(u)), 6, 2*len(utf16.Encode([]rune(lead))), len(utf16Text(s, binary.LittleEndian)))
			cs = append(cs, classCase{encoder: fmt.Sprintf("base64 of UTF-16LE (-EncodedCommand) after %q", lead), secret: s, pre: "powershell -EncodedCommand " + pre, form: form, post: post + "\n"})
			if len(lead) > 10 {
				enc := base64.StdEncoding.EncodeToString([]byte(u))
				cut := (len(pre) + len(form)/2) / 76 * 76 // a line break in the secret's part
				if cut > len(pre) {
					cs = append(cs, classCase{encoder: "base64 of UTF-16LE wrapped at 76, CRLF", secret: s, pre: "data: " + pre, form: enc[len(pre):cut] + "\r\n" + enc[cut:len(pre)+len(form)], post: post + "\r\n"})
				}
			}
		}
	}
	return cs
}

// toolClassCases reads testdata/encoders/classes.json: what real tools
// (iconv, coreutils base32, basenc and base64, od, xxd, Python, node,
// Perl, Ruby, Java) wrote; classes.py regenerates it.
func toolClassCases(t *testing.T) []classCase {
	return readClassCases(t, "testdata/encoders/classes.json", 1000)
}

// readClassCases reads the cases in file, a list in the format of
// classes.json, and fails if it holds fewer than least.
func readClassCases(t *testing.T, file string, least int) []classCase {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		Secret   string `json:"secret"`
		Secret64 []byte `json:"secret64"`
		Encoder  string `json:"encoder"`
		Pre      []byte `json:"pre64"`
		Form     []byte `json:"form64"`
		Post     []byte `json:"post64"`
	}
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < least {
		t.Fatalf("%d vectors; %s is truncated", len(vs), file)
	}
	var cs []classCase
	for _, v := range vs {
		if v.Secret64 != nil {
			v.Secret = string(v.Secret64)
		}
		c := classCase{encoder: v.Encoder, secret: v.Secret, pre: string(v.Pre), form: string(v.Form), post: string(v.Post)}
		if e := strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(v.Encoder)); strings.Contains(e, "UTF16") && !strings.Contains(e, "BASE64") {
			c.slack = 1 // UTF-16 text, not base64 of it
		}
		cs = append(cs, c)
	}
	return cs
}

// checkClass writes c, between other text, through a mask redactor and a
// token redactor of c.secret, in one write, byte by byte and split in two
// every step bytes, and fails unless the output is the input with c.form
// (and at most c.slack bytes on either side) replaced by one mask or
// token, and the token redactor reports one occurrence, where form starts.
func checkClass(t *testing.T, c classCase, step int) {
	t.Helper()
	in := "log: " + c.pre + c.form + c.post + " end"
	start, end := len("log: "+c.pre), len("log: "+c.pre+c.form)
	var occ []secrets.Occurrence
	tr, err := secrets.NewTokenRedactor(tokenKey, "job", secrets.WithOccurrenceHook(func(o secrets.Occurrence) { occ = append(occ, o) }))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*secrets.Redactor{secrets.NewRedactor(), tr} {
		if err := r.AddSecret("tok", c.secret); err != nil {
			t.Fatal(err)
		}
		repl := r.Token("tok")
		check := func(how string, chunks ...[]byte) {
			t.Helper()
			occ = nil
			out := redactAll(t, r, chunks...)
			for a := start - c.slack; a <= start; a++ {
				for b := end; b <= end+c.slack; b++ {
					if out == in[:a]+repl+in[b:] && (r == tr) == (len(occ) == 1) && (len(occ) == 0 || occ[0].Offset == int64(a)) {
						return
					}
				}
			}
			t.Fatalf("%s, %s: secret %q written as %q: output %q, occurrences %v", c.encoder, how, c.secret, c.form, out, occ)
		}
		check("one write", []byte(in))
		check("byte by byte", bytewise(in)...)
		for i := 1; i < len(in); i += step {
			check(fmt.Sprintf("split at %d", i), []byte(in[:i]), []byte(in[i:]))
		}
	}
}

// TestRedactClasses writes the secrets as Go's encoders write them in
// UTF-16, base64 of UTF-16LE, base32 and separated hex, and checks that
// exactly the secret's part is masked, however the stream is split.
func TestRedactClasses(t *testing.T) {
	t.Parallel()
	for _, c := range goClassCases() {
		t.Run(c.encoder, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, 1)
		})
	}
}

// TestRedactClassesRealTools does the same for what real tools wrote.
func TestRedactClassesRealTools(t *testing.T) {
	t.Parallel()
	for _, c := range toolClassCases(t) {
		t.Run(c.encoder, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, max(1, len(c.pre+c.form+c.post)/32))
		})
	}
}

// TestRedactClassesOrdinaryText registers 100 secrets, and checks that
// ordinary text comes through unchanged: the README, the package's Go
// source and a Go test log. The new encodings add thousands of patterns,
// many of them short fragments in alphabets that text uses (upper-case
// letters and digits for base32, hex digits and punctuation for
// separated hex); none may match text that holds no secret.
func TestRedactClassesOrdinaryText(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	r := secrets.NewRedactor()
	for i := range 100 {
		// Secrets like the ones CI holds: random letters and digits,
		// hex (API keys), upper-case words and digits, 8 to 40 bytes.
		alpha := []string{
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			"0123456789abcdef",
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		}[i%3]
		b := make([]byte, 8+rng.IntN(33))
		for j := range b {
			b[j] = alpha[rng.IntN(len(alpha))]
		}
		if err := r.AddMaskChecked(string(b)); err != nil {
			t.Fatal(err)
		}
	}
	texts := map[string]string{}
	for _, name := range []string{"../README.md", "redact.go", "decode.go", "redact_test.go", "doc.go"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		texts[name] = string(b)
	}
	texts["go test log"] = goTestLog
	for name, text := range texts {
		for _, chunks := range [][][]byte{{[]byte(text)}, bytewise(text)} {
			if out := redactAll(t, r, chunks...); out != text {
				i := 0
				for i < len(out) && i < len(text) && out[i] == text[i] {
					i++
				}
				t.Fatalf("%s changed at byte %d: %q", name, i, out[i:min(len(out), i+80)])
			}
		}
	}
}

// goTestLog is the kind of output a Go CI job writes: go test -v with
// timings, hashes, addresses, a panic's goroutine dump and a race report.
const goTestLog = `=== RUN   TestBrokerLease
=== PAUSE TestBrokerLease
=== CONT  TestBrokerLease
--- PASS: TestBrokerLease (0.02s)
=== RUN   TestJournalReplay/crash_after_fsync
    journal_test.go:212: replayed 3 leases in 1.234ms
--- FAIL: TestJournalReplay/crash_after_fsync (0.00s)
    journal_test.go:230: got lease 7f3a9c1e-5b2d-4e8f-9a6b-0c1d2e3f4a5b, want 00000000-0000-0000-0000-000000000000
panic: runtime error: index out of range [5] with length 5 [recovered]

goroutine 34 [running]:
testing.tRunner.func1.2({0x8a4f20, 0xc0001a2018})
	/usr/local/go/src/testing/testing.go:1632 +0x230
github.com/ztci/ztci/secrets.(*Broker).lease(0xc000214000, {0x9c1e58, 0xc0000a6000}, 0x5)
	/home/runner/work/ztci/ztci/secrets/broker.go:412 +0x5e4
==================
WARNING: DATA RACE
Write at 0x00c0001b4028 by goroutine 8:
  github.com/ztci/ztci/secrets.(*RedactWriter).Write()
      /home/runner/work/ztci/ztci/secrets/redact.go:452 +0x7c
Previous read at 0x00c0001b4028 by goroutine 7:
==================
ok  	github.com/ztci/ztci/attest	0.513s	coverage: 81.2% of statements
FAIL	github.com/ztci/ztci/secrets	1.877s
go: downloading golang.org/x/crypto v0.31.0
go: downloading github.com/sigstore/sigstore-go v1.0.0
go: finding module for package github.com/ztci/ztci/internal/x509ca
sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  artifact.tar.gz
2026-11-22T11:00:00.123456Z INFO build step=compile duration=12.5s bytes=4096 id=0x7ffd5e8c
de:ad:be:ef:00:01 00-1A-2B-3C-4D-5E 10.0.0.1:8080 [::1]:443 fe80::1ff:fe23:4567:890a
BUILD SUCCESSFUL in 42s; ABCDEFGHIJ 0123456789 MZXW6YTBOI====== GEZDGNBVGY3TQOJQ
`
