package secrets_test

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ztci/ztci/secrets"
)

// encCanary holds the characters encoders disagree about: the ones
// encodeURIComponent leaves raw (!'()*), the one Python's quote leaves raw
// (/), space (%20 or +), the query delimiters (+&=), a non-ASCII letter
// (UTF-8, \u00e4) and ~ (escaped by PHP's urlencode and Java).
const encCanary = "Zq9-CANARY s3cr3t!'()*/+&=ä~"

// encoded lists what common encoders actually write for encCanary. The
// JavaScript, Python, Java and bash lines were produced by node 18,
// Python 3, Java 17 and bash 5; PHP's and Ruby's follow their documented
// safe sets (PHP urlencode: alnum and -_. raw, space as +; rawurlencode:
// RFC 3986; Ruby CGI.escape: alnum and -_.~ raw, space as +;
// URI.encode_www_form_component: alnum and *-._ raw, space as +).
func encoded() []struct{ encoder, out string } {
	jsonGo, _ := json.Marshal(encCanary)
	goq := strconv.Quote(encCanary)
	return []struct{ encoder, out string }{
		{"raw", encCanary},
		{"JS encodeURIComponent", `Zq9-CANARY%20s3cr3t!'()*%2F%2B%26%3D%C3%A4~`},
		{"JS encodeURI", `Zq9-CANARY%20s3cr3t!'()*/+&=%C3%A4~`},
		{"Python quote", `Zq9-CANARY%20s3cr3t%21%27%28%29%2A/%2B%26%3D%C3%A4~`},
		{"Python quote_plus", `Zq9-CANARY+s3cr3t%21%27%28%29%2A%2F%2B%26%3D%C3%A4~`},
		{"Python quote, lower-case hex", `Zq9-CANARY%20s3cr3t%21%27%28%29%2a/%2b%26%3d%c3%a4~`},
		{"mixed-case hex", `Zq9-CANARY%20s3cr3t%21%27%28%29%2a/%2B%26%3d%C3%a4~`},
		{"Go url.QueryEscape", url.QueryEscape(encCanary)},
		{"Go url.PathEscape", url.PathEscape(encCanary)},
		{"Java URLEncoder", `Zq9-CANARY+s3cr3t%21%27%28%29*%2F%2B%26%3D%C3%A4%7E`},
		{"PHP urlencode", `Zq9-CANARY+s3cr3t%21%27%28%29%2A%2F%2B%26%3D%C3%A4%7E`},
		{"PHP rawurlencode", `Zq9-CANARY%20s3cr3t%21%27%28%29%2A%2F%2B%26%3D%C3%A4~`},
		{"Ruby CGI.escape", `Zq9-CANARY+s3cr3t%21%27%28%29%2A%2F%2B%26%3D%C3%A4~`},
		{"Ruby URI.encode_www_form_component", `Zq9-CANARY+s3cr3t%21%27%28%29*%2F%2B%26%3D%C3%A4%7E`},
		{"Python json.dumps", `"Zq9-CANARY s3cr3t!'()*/+&=\u00e4~"`},
		{"JSON, every char escaped, upper hex, \\/", `"\u005A\u0071\u0039\u002D\u0043\u0041\u004E\u0041\u0052\u0059\u0020\u0073\u0033\u0063\u0072\u0033\u0074\u0021\u0027\u0028\u0029\u002A\/\u002B\u0026\u003D\u00E4~"`},
		{"JSON, some ASCII escaped", `"Zq9-CANARY s3cr3t\u0021'()*\/+\u0026\u003d\u00e4~"`},
		{"Go json.Marshal", string(jsonGo)},
		{"Go strconv.Quote", goq},
		{"Go strconv.QuoteToASCII", strconv.QuoteToASCII(encCanary)},
		{"shell '\\'' splice", `'Zq9-CANARY s3cr3t!'\''()*/+&=ä~'`},
		{"shell '\"'\"' splice (Python shlex.quote)", `'Zq9-CANARY s3cr3t!'"'"'()*/+&=ä~'`},
		{"shell double quotes", `"Zq9-CANARY s3cr3t\!'()*/+&=ä~"`},
		{"bash printf %q", `Zq9-CANARY\ s3cr3t\!\'\(\)\*/+\&=ä~`},
		{"bash $'…' hex", `$'Zq9-CANARY s3cr3t!\'()*/+&=\xc3\xa4~'`},
		{"bash $'…' octal", `$'Zq9-CANARY s3cr3t!\'()*/+&=\303\244~'`},
		{"hex", hex.EncodeToString([]byte(encCanary))},
		{"HEX", strings.ToUpper(hex.EncodeToString([]byte(encCanary)))},
		{"base64 std", base64.StdEncoding.EncodeToString([]byte(encCanary))},
		{"base64 std, offset 1", base64.StdEncoding.EncodeToString([]byte("u" + encCanary))},
		{"base64 url unpadded, offset 2", base64.RawURLEncoding.EncodeToString([]byte("u:" + encCanary))},
		{"percent-encoded base64 (token in a query)", url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(encCanary)))},
		// \xHH is U+00HH, not a byte, in Python's str repr, ascii() and
		// unicode_escape and in JavaScript (Python 3.11, node 20).
		{"Python ascii", `"Zq9-CANARY s3cr3t!'()*/+&=\xe4~"`},
		{"Python unicode_escape", `Zq9-CANARY s3cr3t!'()*/+&=\xe4~`},
		{"Python ascii, reproduced", pyASCII(encCanary)},
		{"JS escape() (Latin-1 %E4)", `Zq9-CANARY%20s3cr3t%21%27%28%29*/+%26%3D%E4%7E`},
		{"JS escape(), reproduced", jsEscape(encCanary)},
		{"Perl Data::Dumper of a character string", `"Zq9-CANARY s3cr3t!'()*/+&=\x{e4}~"`},
		// A percent-encoded value in a JSON or shell string: the JSON or
		// shell encoder escapes what the URL encoder left raw.
		{"Go json.Marshal of a PathEscape URL", goJSON(map[string]string{"url": "https://x/" + url.PathEscape(encCanary)})},
		{"PHP json_encode of a Python quote URL", `{"url":"https:\/\/x\/?t=Zq9-CANARY%20s3cr3t%21%27%28%29%2A\/%2B%26%3D%C3%A4~"}`},
		{"bash printf %q of encodeURIComponent", `Zq9-CANARY%20s3cr3t\!\'\(\)\*%2F%2B%26%3D%C3%A4~`},
		// A JSON string shell-quoted with '\'' (bash 5 set -x, PHP
		// escapeshellarg).
		{"bash set -x of json.dumps", `+ : '"Zq9-CANARY s3cr3t!'\''()*/+&=\u00e4~"'`},
		{"Ruby Shellwords.escape", shellwordsEscape(encCanary)},
		// A quote doubled inside quotes of its kind.
		{"SQL literal, YAML single-quoted, PowerShell '…'", `'Zq9-CANARY s3cr3t!''()*/+&=ä~'`},
		{"GNU base64, wrapped at 76", wrapLines(base64.StdEncoding.EncodeToString([]byte("user: ci\npassword: "+encCanary+"\nhost: db.internal\n")), 76, "\n", "")},
	}
}

// pyASCII reproduces Python's ascii() of a str (valid UTF-8): \xHH,
// \uHHHH and \UHHHHHHHH for code points outside printable ASCII.
func pyASCII(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\' || r == '\'':
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// jsEscape reproduces JavaScript's escape() of a string (valid UTF-8):
// A-Za-z0-9@*_+-./ raw, other UTF-16 code units below 0x100 as %XX, the
// rest as %uXXXX.
func jsEscape(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u < 0x80 && (u >= 'a' && u <= 'z' || u >= 'A' && u <= 'Z' || u >= '0' && u <= '9' || strings.ContainsRune("@*_+-./", rune(u))):
			b.WriteByte(byte(u))
		case u < 0x100:
			fmt.Fprintf(&b, "%%%02X", u)
		default:
			fmt.Fprintf(&b, "%%u%04X", u)
		}
	}
	return b.String()
}

// shellwordsEscape reproduces Ruby's Shellwords.escape: a backslash before
// every byte but A-Za-z0-9_-.,:+/@ and newline, and a newline as '<LF>'.
func shellwordsEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString("'\n'")
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,:+/@", r)):
			b.WriteRune(r)
		default:
			b.WriteByte('\\')
			b.WriteRune(r)
		}
	}
	return b.String()
}

func goJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestRedactEncoders writes each encoder's output between other text, in
// one write, at every split point in two writes, and byte by byte, and
// checks neither the raw value nor the encoded form survives.
func TestRedactEncoders(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	if err := r.AddMaskChecked(encCanary); err != nil {
		t.Fatal(err)
	}
	for _, tt := range encoded() {
		t.Run(tt.encoder, func(t *testing.T) {
			t.Parallel()
			in := `{"level":"info","msg":"calling ` + tt.out + ` now"}`
			check := func(how, out string) {
				t.Helper()
				if strings.Contains(out, encCanary) || strings.Contains(out, tt.out) || !strings.Contains(out, secrets.Mask) {
					t.Fatalf("%s: %s survived: %q", how, tt.encoder, out)
				}
			}
			check("one write", redactAll(t, r, []byte(in)))
			check("byte by byte", redactAll(t, r, bytewise(in)...))
			for i := 1; i < len(in); i++ {
				check(fmt.Sprintf("split at %d", i), redactAll(t, r, []byte(in[:i]), []byte(in[i:])))
			}
		})
	}
}

func TestRedactSurrogatePairs(t *testing.T) {
	t.Parallel()
	secret := "CANARY-\U0001F600-s3cr3t"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	for _, in := range []string{
		strconv.QuoteToASCII(secret), // \U0001f600
		`"CANARY-\ud83d\ude00-s3cr3t"`,
		`"CANARY-\uD83D\uDE00-s3cr3t"`,
		`"CANARY-\u{1F600}-s3cr3t"`,
	} {
		if out := redactAll(t, r, []byte(in)); strings.Contains(out, "s3cr3t") {
			t.Errorf("%s survived: %q", in, out)
		}
	}
}

// TestRedactShellwordsNewline checks a multi-line value as Ruby's
// Shellwords.escape writes it, with each newline as '<LF>': the lines are
// masked on their own, but a line shorter than MinMaskLen is not, so the
// value is also matched whole.
func TestRedactShellwordsNewline(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"Ab3x\nYz7w", "line1-abcdefgh\nl2\nline3-xyz12345", "a b\r\nc'd\ne"} {
		r := secrets.NewRedactor()
		r.AddMask(secret)
		in := "run " + shellwordsEscape(secret) + " now"
		for _, out := range []string{redactAll(t, r, []byte(in)), redactAll(t, r, bytewise(in)...)} {
			if out != "run "+secrets.Mask+" now" {
				t.Errorf("%q written as %q: %q", secret, in, out)
			}
		}
	}
}

// TestRedactNotMasked pins down forms the package documentation lists as
// not masked, so that the list stays true.
func TestRedactNotMasked(t *testing.T) {
	t.Parallel()
	secret := "CANARY-é-s3cr3t"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	for _, in := range []string{
		"CANARY-e\u0301-s3cr3t",                                   // NFD
		url.QueryEscape(url.QueryEscape(url.QueryEscape(secret))), // encoded three times
		"Canary-é-S3cr3t",                                         // case changed, not all upper or lower
		base64.StdEncoding.EncodeToString([]byte(`"` + strconv.QuoteToASCII(secret) + `"`)),                  // base64 of an escaped form
		goJSON(strconv.QuoteToASCII(secret)),                                                                 // escaped twice (\\u00e9: a JSON document in a JSON string)
		odDecimal(secret),                                                                                    // decimal bytes in columns (od -An -tu1)
		"CANARY-=C3=A9-s3cr3t",                                                                               // quoted-printable
		"xxxxxx" + secret[6:] + "\r" + secret[:6],                                                            // a carriage return and part of the line written over (backspaces are masked since review 32)
		strings.ToLower(base32.StdEncoding.EncodeToString([]byte(secret))),                                   // lower-case base32
		strings.ReplaceAll(fmt.Sprintf("%#v", []byte(secret)), "0x", "0X"),                                   // hex with other prefixes
		fmt.Sprintf("%x %x", secret[:8], secret[8:]),                                                         // hex in groups of bytes
		wrapLines(strings.ToUpper(hex.EncodeToString([]byte(strings.Repeat("p", 25)+secret))), 60, "\n", ""), // xxd -p -u: upper case, broken by a line break
		wrapLines(hex.EncodeToString([]byte(strings.Repeat("p", 25)+secret)), 60, "\r\n", ""),                // xxd -p with CRLF line breaks
		"   " + strings.Join(strings.Split(secret, ""), "   "),                                               // characters spaced out (od -c)
		base64.StdEncoding.EncodeToString([]byte(utf16Text(secret, binary.BigEndian))),                       // base64 of UTF-16BE
		string(utf32LE(secret)),                                                                              // other encodings
		// Wrapped base64 split by one CRLF into parts shorter than the value
		// (9 and 12 characters).
		wrapLines(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("p", 50)+secret+"q")), 76, "\r\n", ""),
		// The same with a timestamp before each line.
		"2024-01-01T00:00:00.0000000Z " + wrapLines(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("p", 50)+secret+"q")), 76, "\n", "2024-01-01T00:00:00.0000000Z "),
	} {
		if out := redactAll(t, r, []byte(in)); strings.Contains(out, secrets.Mask) {
			t.Errorf("%q is masked (%q); update the documented list", in, out)
		}
	}
}

// odDecimal returns s as od -An -tu1 writes it: each byte right-aligned
// in a column of four.
func odDecimal(s string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, "%4d", s[i])
	}
	return b.String()
}

// TestRedactCoreutilsOutOfStep checks coreutils' quoting after text whose
// quotes the shell would not pair as written (a Python string's \'), which
// puts the readings that start where the region does out of step (found by
// FuzzRedactEncodings): the reading by words (decWords) masks the value.
func TestRedactCoreutilsOutOfStep(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		secret, pre string
		masked      bool
	}{
		{"'s3cr3t\x0fx$", "rm: cannot remove ", true},
		{"'s3cr3t\x0fx$", "couldn't: rm: cannot remove ", true},
		{"'s3cr3t\x0fx$", "$'\\n' rm: cannot remove ", true},
		{"'s3cr3t\x0fx$", "print('it\\'s') rm: cannot remove ", true},
		{"'00\x00000$", `'\'00\x00000$' "https://x/%2700%00000$" `, true},
		{"'s3 cr3t\x0fx$", "print('it\\'s') rm: cannot remove ", true},
		{"a'b c\x01d-e", "x '\\'a b' rm: cannot remove ", true},
	} {
		r := secrets.NewRedactor()
		r.AddMask(c.secret)
		in := c.pre + coreutilsQuote(c.secret) + ": No such file\n"
		if out := redactAll(t, r, []byte(in)); strings.Contains(out, secrets.Mask) != c.masked {
			t.Errorf("%q: masked %t, want %t (%q); update the documented list", in, !c.masked, c.masked, out)
		}
	}
}

// utf32LE returns s (valid UTF-8) in UTF-32LE.
func utf32LE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	return b
}

// TestRedactNotMaskedAfterFlush pins the last item of the documented list:
// what Flush wrote out of a value before the rest of it arrived stays
// written; the rest is masked.
func TestRedactNotMaskedAfterFlush(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(canary)
	var out bytes.Buffer
	w := r.NewWriter(&out)
	w.Write([]byte("log " + canary[:10]))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(canary[10:] + " end"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "log "+canary[:10]+secrets.Mask+" end"; got != want {
		t.Fatalf("got %q, want %q; update the documented list", got, want)
	}
}

// TestRedactWriterRepeatsNotHeld writes a secret back to back and checks
// the masked output comes out as it is written, not at Close.
func TestRedactWriterRepeatsNotHeld(t *testing.T) {
	t.Parallel()
	for _, in := range []string{canary, url.QueryEscape(encCanary), strings.Repeat("a", 9)} {
		r := secrets.NewRedactor()
		r.AddMask(strings.Repeat("a", 8))
		r.AddMask(canary)
		r.AddMask(encCanary)
		var out bytes.Buffer
		w := r.NewWriter(&out)
		chunk := []byte(strings.Repeat(in, 4096))
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if out.Len() == 0 {
			t.Fatalf("%q repeated: nothing written before Close; the writer holds the run", in[:8])
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Trim(out.String(), "*") != "" {
			t.Fatalf("%q repeated: output is not masks only: %q…", in[:8], out.String()[:64])
		}
	}
}

var pctEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

// FuzzRedactEncodings checks the property for every documented encoding:
// whatever the secret and the text around it, however the stream is split,
// neither the secret nor its encoded forms survive.
func FuzzRedactEncodings(f *testing.F) {
	f.Add("Zq9-CANARY s3cr3t!'()*/+&=ä~", []byte("log: "), []byte{3, 7, 1})
	f.Add("pa55word\\\"%41", []byte("\\\\"), []byte{1})
	f.Add("multi\nline\nsecret", []byte("%2"), []byte{5, 2})
	// For the UTF-16, base32 and separated hex forms: the shortest
	// secret, a surrogate pair in UTF-16, a secret that is not UTF-8 (no
	// UTF-16), and text before it that puts it at several base32 offsets.
	f.Add("pa55w0rd", []byte("u:"), []byte{1})
	f.Add("Ab3x😀Yz7w€-CANARY", []byte("user:"), []byte{4, 1, 9})
	f.Add("\xde\xad\xbe\xef\x00\x7f\x80\xff-CANARY", []byte("0x"), []byte{2, 3})
	f.Add("CANARY s3cr3t!'()/+&=ä~", []byte("de:ad:"), []byte{0})
	// For colour inside the value, character references, decimal bytes
	// and percent-encoding twice.
	f.Add("p@ss<w&rd>\"x'y €", []byte("\x1b[1m"), []byte{6, 1})
	f.Add("a&amp;b&#38;c%2541", []byte("&lt;"), []byte{2})
	f.Add("red-and-green-x", []byte("\x1b]8;;u\x1b\\"), []byte{0, 4})
	// Invisible characters between the characters (see
	// TestReview21Invisible): a secret outside ASCII, one that holds a
	// zero-width space, and tag characters around it.
	f.Add("Grüße-an-Zürich-42", []byte("\u200b"), []byte{2, 5})
	f.Add("pass\u200bword-CANARY", []byte("\U000e0041\u00ad"), []byte{1})
	// coreutils' quoting after Python's '\'…' (see TestRedactCoreutilsOutOfStep).
	f.Add("'00\x00000$", []byte("0"), []byte("0"))
	// Hex dumps of a file with the secret at an offset that breaks it
	// over three lines (xxd -p: two).
	f.Add("CANARY-s3cr3t-Zq9vX2-do-not-leak", []byte("0123456789ab"), []byte{40, 3})
	f.Fuzz(func(t *testing.T, secret string, around []byte, splits []byte) {
		if len(secret) < secrets.MinMaskLen || len(secret) > 256 || strings.Contains(secret, "*") {
			return
		}
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(secret); err != nil {
			t.Fatal(err)
		}
		forms := []string{
			secret,
			url.QueryEscape(secret),
			url.PathEscape(secret),
			pctEscape.ReplaceAllStringFunc(url.PathEscape(secret), strings.ToLower),
			strconv.Quote(secret),
			hex.EncodeToString([]byte(secret)),
			base64.StdEncoding.EncodeToString([]byte(secret)),
		}
		if utf8.ValidString(secret) {
			j, _ := json.Marshal(secret)
			forms = append(forms, string(j), strconv.QuoteToASCII(secret),
				pyASCII(secret), jsEscape(secret), shellwordsEscape(secret),
				goJSON("https://x/"+url.PathEscape(secret)))
		}
		forms = append(forms, coreutilsQuote(secret))
		// Colour between every byte (of a secret that holds no ESC, which
		// would start sequences of its own), character references,
		// percent-encoded twice, decimal bytes (when at least 2*MinMaskLen
		// long).
		forms = append(forms, html.EscapeString(secret), url.QueryEscape(url.QueryEscape(secret)), escapeData(url.PathEscape(secret)))
		if !strings.Contains(secret, "\x1b") {
			forms = append(forms, interleave(secret, "\x1b[31m"))
		}
		// Invisible characters between the characters, alone and with
		// colour (of a UTF-8 secret that holds no ESC, as above).
		if utf8.ValidString(secret) && !strings.Contains(secret, "\x1b") {
			forms = append(forms, between(secret, "\u200b"), between(secret, "\U000e0020"), between(secret, "\u2060\x1b[m"))
		}
		if v := fmt.Sprintf("%v", []byte(secret)); len(v) >= 2+2*secrets.MinMaskLen {
			forms = append(forms, v[1:len(v)-1])
		}
		// UTF-16, base64 of UTF-16LE (PowerShell's -EncodedCommand) and
		// base32 of the secret after the text around it (at a
		// data-dependent offset: the secret's part of the encoding),
		// separated hex.
		if utf8.ValidString(secret) && utf8.Valid(around) {
			forms = append(forms, utf16Text(secret, binary.LittleEndian), utf16Text(secret, binary.BigEndian))
			u, us := utf16Text(string(around), binary.LittleEndian), utf16Text(secret, binary.LittleEndian)
			_, frag, _ := splitEncoded(base64.StdEncoding.EncodeToString([]byte(u+us)), 6, len(u), len(us))
			forms = append(forms, frag)
		}
		for _, enc := range []*base32.Encoding{base32.StdEncoding, base32.HexEncoding} {
			_, frag, _ := splitEncoded(enc.EncodeToString(append(bytes.Clone(around), secret...)), 5, len(around), len(secret))
			forms = append(forms, frag)
		}
		h := hex.EncodeToString([]byte(secret))
		var pairs []string
		for i := 0; i < len(h); i += 2 {
			pairs = append(pairs, h[i:i+2])
		}
		forms = append(forms, fmt.Sprintf("% x", secret), fmt.Sprintf("% X", secret), strings.Join(pairs, ":"),
			strings.ToUpper(strings.Join(pairs, "-")), "0x"+strings.Join(pairs, ", 0x"))
		// base64 wrapped into lines, as GNU base64 and openssl write it,
		// of the secret alone and at an offset in a file.
		forms = append(forms, wrapLines(base64.StdEncoding.EncodeToString([]byte(secret)), 76, "\n", ""),
			wrapLines(base64.StdEncoding.EncodeToString(append(bytes.Clone(around), secret...)), 64, "\n", ""))
		// Hex dumps of the secret at an offset in a file: hex.Dump (as
		// hexdump -C writes it), on lines of its own, and xxd -p.
		file := append(bytes.Clone(around), secret...)
		forms = append(forms, "\n"+hex.Dump(file), wrapLines(hex.EncodeToString(file), 60, "\n", ""))
		sep := " "
		if len(around) > 0 && around[len(around)-1] == '\\' {
			// A backslash right before a form would escape its first byte:
			// that is another string, not the form.
			sep = "  "
		}
		stream := string(around) + sep + strings.Join(forms, " ") + " " + string(around)
		var chunks [][]byte
		rest := []byte(stream)
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(splits) > 0 {
				n = min(int(splits[i%len(splits)])+1, len(rest))
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		out := redactAll(t, r, chunks...)
		for _, form := range forms {
			if strings.Contains(out, form) {
				t.Fatalf("form %q of secret %q survived in %q", form, secret, out)
			}
		}
	})
}

// BenchmarkRedactRepeats writes a secret back to back, raw and escaped, at
// 1 MiB and 16 MiB: time per byte must not grow with the input.
func BenchmarkRedactRepeats(b *testing.B) {
	for _, form := range []struct{ name, s string }{
		{"raw", canary},
		{"percent", url.QueryEscape(encCanary)},
		{"json", strconv.QuoteToASCII(encCanary)},
		{"overlapping", strings.Repeat("a", 9)},
		{"base64", base64.StdEncoding.EncodeToString([]byte(canary))},
		{"wrapped base64", wrapLines(base64.StdEncoding.EncodeToString([]byte(strings.Repeat(canary, 9))), 76, "\n", "") + "\n"},
		{"hex dump", hex.Dump([]byte(strings.Repeat(canary, 9)))},
		{"coreutils", coreutilsQuote(encCanary)},
		{"quote runs", `'$'\`},
		{"ansi-c runs", `$'\'`},
	} {
		for _, size := range []int{1 << 20, 16 << 20} {
			data := bytes.Repeat([]byte(form.s), size/len(form.s)+1)[:size]
			b.Run(fmt.Sprintf("%s/%dMiB", form.name, size>>20), func(b *testing.B) {
				r := secrets.NewRedactor()
				r.AddMask(canary)
				r.AddMask(encCanary)
				r.AddMask(strings.Repeat("a", 8))
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					w := r.NewWriter(io.Discard)
					for off := 0; off < len(data); off += 32 << 10 {
						if _, err := w.Write(data[off:min(off+32<<10, len(data))]); err != nil {
							b.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// wrapLines writes s as an encoder that wraps its output does: lines of
// width bytes, each followed by sep (the last line has none) and, from the
// second on, preceded by indent.
func wrapLines(s string, width int, sep, indent string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += width {
		if i > 0 {
			b.WriteString(sep + indent)
		}
		b.WriteString(s[i:min(i+width, len(s))])
	}
	return b.String()
}

// wrappers are the encoders that wrap base64 into lines, as they write it
// by default.
var wrappers = []struct {
	name        string
	width       int
	sep, indent string
}{
	{name: "GNU base64, Python encodebytes, Perl MIME::Base64 (76, LF)", width: 76, sep: "\n"},
	{name: "openssl base64, PEM (64, LF)", width: 64, sep: "\n"},
	{name: "Ruby Base64.encode64, pack('m') (60, LF)", width: 60, sep: "\n"},
	{name: "Java MIME encoder, PHP chunk_split (76, CRLF)", width: 76, sep: "\r\n"},
	{name: "certutil -encode (64, CRLF)", width: 64, sep: "\r\n"},
	{name: "echo $(base64 f): lines joined by the shell (76, space)", width: 76, sep: " "},
	{name: "GNU base64 in an indented YAML block (76, LF, indent)", width: 76, sep: "\n", indent: "    "},
}

// TestRedactWrapped writes a secret, alone and at every offset inside a
// longer file, through each encoder that wraps its base64 into lines, so
// that the line breaks fall at every place in the secret's encoding, and
// checks that exactly the part of the encoding made of the secret's bits is
// masked, line breaks included. Where the package documentation says a
// break is not found (a CRLF, indented or space break that is the only one
// in the encoding, with both parts shorter than the shortest pattern: the
// secret itself, for these one-line secrets), the case is skipped.
func TestRedactWrapped(t *testing.T) {
	t.Parallel()
	pem := "-----BEGIN PRIVATE KEY-----\n" + wrapLines(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k3y-material-"), 20)), 64, "\n", "") + "\n-----END PRIVATE KEY-----\n"
	for _, secret := range []string{"Sh0rt-s3cr3t!", canary, pem} {
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(secret); err != nil {
			t.Fatal(err)
		}
		for _, wr := range wrappers {
			for pre := range wr.width + 4 {
				file := strings.Repeat("p", pre) + secret + strings.Repeat("q", 50)
				enc := base64.StdEncoding.EncodeToString([]byte(file))
				start, end := (pre*8+5)/6, (pre+len(secret))*8/6 // the secret's part
				var breaks []int
				for k := wr.width; k < len(enc); k += wr.width {
					if start < k && k < end {
						breaks = append(breaks, k)
					}
				}
				if blk := min(len(secret), 48); wr.sep+wr.indent != "\n" && len(breaks) == 1 && breaks[0]-start < blk && end-breaks[0] < blk {
					continue // documented as not masked
				}
				in := "data: " + wrapLines(enc, wr.width, wr.sep, wr.indent) + "\nnext step\n"
				strip := strings.NewReplacer("\n", "", "\r", "", " ", "")
				want := strip.Replace("data: " + enc[:start] + secrets.Mask + enc[end:] + "\nnext step\n")
				for _, how := range []struct {
					name   string
					chunks [][]byte
				}{{"one write", [][]byte{[]byte(in)}}, {"byte by byte", bytewise(in)}} {
					if out := redactAll(t, r, how.chunks...); strip.Replace(out) != want {
						t.Fatalf("%s, secret of %d bytes after %d: %s: got\n%s\nwant (line breaks aside)\n%s", wr.name, len(secret), pre, how.name, out, want)
					}
				}
			}
		}
	}
}

// coreutilsQuote quotes s as GNU coreutils' shell-escape style does in the C
// locale (printf %q, ls, rm's diagnostics): printable ASCII in '…', a quote
// as \' between two quoted runs, every other byte as an octal escape in a
// $'…' run (\t as \011). It may end with an empty pair of quotes
// where coreutils writes none.
func coreutilsQuote(s string) string {
	var b strings.Builder
	ansiC := false
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			b.WriteString(`'\''`)
			ansiC = false
		case c >= 0x20 && c < 0x7f:
			if ansiC {
				b.WriteString("''")
				ansiC = false
			}
			b.WriteByte(c)
		default:
			if !ansiC {
				b.WriteString("'$'")
				ansiC = true
			}
			fmt.Fprintf(&b, `\%03o`, c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// GNU coreutils writes a quote after '$' as '$'\” (a single-quoted $ and
// a backslash-escaped quote), which also begins like the '$'\ that
// switches from '…' to $'…'. As /usr/bin/printf %q wrote them in the C
// locale (found by FuzzRedactEncodings).
func TestRedactCoreutilsQuotedDollarQuote(t *testing.T) {
	t.Parallel()
	for secret, quoted := range map[string]string{
		"000\x01$'00":       `'000'$'\001''$'\''00'`,
		"CANARY\x01'$x-sec": `'CANARY'$'\001'\''$x-sec'`,
		"CANARY$'\x01-sec":  `'CANARY$'\'''$'\001''-sec'`,
	} {
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(secret); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w := r.NewWriter(&out)
		if _, err := io.WriteString(w, "rm: cannot remove "+quoted+": denied\n"); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), quoted) || !strings.Contains(out.String(), secrets.Mask) {
			t.Errorf("%q: %q", quoted, out.String())
		}
	}
}
