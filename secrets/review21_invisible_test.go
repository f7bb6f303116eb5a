package secrets_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/secrets"
)

// Invisible characters inside a value: a browser draws Unicode's
// default-ignorable characters as nothing, so a job that printed its
// secret with a zero-width space (a soft hyphen, a bidi control, a tag
// character …) between its characters showed it whole in a web log
// viewer, unmasked.

// defaultIgnorable is Unicode's Default_Ignorable_Code_Point, derived from
// Go's tables as DerivedCoreProperties.txt derives it.
func defaultIgnorable(r rune) bool {
	if !unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector) {
		return false
	}
	return !unicode.In(r, unicode.White_Space, unicode.Prepended_Concatenation_Mark) &&
		!(r >= 0xFFF9 && r <= 0xFFFB) && !(r >= 0x13430 && r <= 0x13440)
}

// between writes sep between every two characters of s.
func between(s, sep string) string {
	return strings.Join(strings.Split(s, ""), sep)
}

// invisibleSamples are the invisible characters build steps and attackers
// reach for, one of each kind.
var invisibleSamples = []string{
	"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f",
	"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
	"\ufe00", "\ufe0f", "\U000e0001", "\U000e0041", "\U000e007f", "\u180e", "\u034f",
	"\u061c", "\u3164", "\uffa0", "\U0001d173", "\U0001bca0", "\U000e0100",
}

// TestReview21Invisible checks that exactly the value's part is masked,
// however the stream is split, with invisible characters inside it, and
// that those before and after it stay.
func TestReview21Invisible(t *testing.T) {
	t.Parallel()
	var cs []classCase
	for _, s := range []string{"pa55w0rd", "Grüße-an-Zürich-42", "Ab3x😀Yz7w€-CANARY"} {
		for _, inv := range invisibleSamples {
			cs = append(cs, classCase{encoder: fmt.Sprintf("%+q between every character", inv), secret: s, pre: "token=" + inv, form: between(s, inv), post: inv + "\n"})
		}
		_, b64, rest := splitEncoded(base64.StdEncoding.EncodeToString([]byte(s)), 6, 0, len(s))
		cs = append(cs,
			classCase{encoder: "one zero-width space", secret: s, pre: "k=", form: s[:3] + "\u200b" + s[3:], post: "\n"},
			classCase{encoder: "a run of several kinds", secret: s, pre: "k=", form: between(s, "\u200b\u00ad"), post: "\n"},
			classCase{encoder: "tag characters spelling a word", secret: s, pre: "k=", form: s[:2] + "\U000e0068\U000e0069" + s[2:], post: "\n"},
			classCase{encoder: "colour and invisible characters", secret: s, pre: "\x1b[1m", form: between(s, "\x1b[31m\u200b"), post: "\x1b[0m\n"},
			classCase{encoder: "invisible characters and colour", secret: s, pre: "k=", form: between(s, "\u2060\x1b[m"), post: "\n"},
			classCase{encoder: "base64 with zero-width spaces", secret: s, pre: "Authorization: Basic ", form: between(b64, "\u200b"), post: rest + "\n"},
		)
	}
	for _, c := range cs {
		t.Run(c.encoder+"/"+c.secret, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, max(1, len(c.pre+c.form+c.post)/40))
		})
	}
}

// TestReview21InvisibleInValue checks a value that holds an invisible
// character itself: it reads the same with it dropped, or with more.
func TestReview21InvisibleInValue(t *testing.T) {
	t.Parallel()
	secret := "pass\u200bword-CANARY"
	for _, form := range []string{"password-CANARY", "pass\u200b\u200bword-CANARY", between("password-CANARY", "\u00ad"), secret} {
		checkClass(t, classCase{encoder: "value with a zero-width space", secret: secret, pre: "k=", form: form, post: "\n"}, 1)
	}
}

// TestReview21InvisibleEveryCharacter checks the whole class: every
// default-ignorable character inside the value is removed before matching,
// and no other character is (the text around it written as it was).
func TestReview21InvisibleEveryCharacter(t *testing.T) {
	t.Parallel()
	secret := "s3cr3tCANARY42"
	r := secrets.NewRedactor()
	r.AddMask(secret)
	var hidden, shown strings.Builder
	n := 0
	for c := rune(0x80); c <= unicode.MaxRune; c++ {
		if !utf8.ValidRune(c) {
			continue
		}
		line := secret[:6] + string(c) + secret[6:] + "\n"
		if defaultIgnorable(c) {
			hidden.WriteString(line)
			n++
		} else {
			shown.WriteString(line)
		}
	}
	if n < 4000 {
		t.Fatalf("%d default-ignorable characters; the derivation is wrong", n)
	}
	if out := redactAll(t, r, []byte(hidden.String())); out != strings.Repeat(secrets.Mask+"\n", n) {
		t.Errorf("not every default-ignorable character inside the value is masked: %d masks of %d", strings.Count(out, secrets.Mask), n)
	}
	if out := redactAll(t, r, []byte(shown.String())); out != shown.String() {
		t.Errorf("a character that is not default-ignorable is removed: %d masks", strings.Count(out, secrets.Mask))
	}
}

// TestReview21InvisibleTextKept checks that text with invisible and other
// non-ASCII characters, but no value, comes out as it went in, however
// split, and that a value spread by visible characters is not masked.
func TestReview21InvisibleTextKept(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask("pa55w0rd-CANARY")
	for _, in := range []string{
		"zero\u200bwidth \ufeffBOM soft\u00adhyphen \u202eesrever\u202c \U000e0041tag\n",
		"ログを出力しています — “quoted” ✅ 🚀 Grüße\u200d👩‍💻\n",
		"pa55w0rd€-CANARY pa55w0rd -CANARY pa55\u00a0w0rd-CANARY\n", // visible characters inside
		"pa55w0rd\u200b\xe2\x80", // a zero-width space cut short at the end
	} {
		for _, chunks := range [][][]byte{{[]byte(in)}, bytewise(in)} {
			if out := redactAll(t, r, chunks...); out != in {
				t.Errorf("%+q came out as %+q", in, out)
			}
		}
	}
}

// BenchmarkReview21NonASCII is BenchmarkRedact's RedactWriter on logs
// with text outside ASCII, with the same secrets: "mixed", a CI log where one
// word in sixty is outside ASCII (a check mark, quotes, a dash, a Japanese
// message, an emoji with a zero-width joiner), and "dense", where every
// word is outside ASCII and starts right after a space (CJK,
// accented words, punctuation and emoji, whose first bytes 0xE2, 0xE3 and
// 0xF0 also start invisible characters): the worst case for the search.
func BenchmarkReview21NonASCII(b *testing.B) {
	bs := benchTypical()
	ascii := strings.Fields("INFO DEBUG step build test deploy ok done compiling package running go vet cache hit GET /v1/artifacts level=info bytes=4096")
	nonASCII := strings.Fields("ビルドが成功しました テスト 失败 構建 완료 Größe Übersetzung café naïve — “quoted” ‘x’ … → ✅ ❌ 🚀 👩‍💻 • © €12")
	for _, c := range []struct {
		name  string
		every int // a word outside ASCII every this many words
	}{{"mixed", 60}, {"dense", 1}} {
		var buf strings.Builder
		for line := 0; buf.Len() < 16<<20; line++ {
			fmt.Fprintf(&buf, "%08d ", line)
			for k := range 6 + line%10 {
				if n := line*16 + k; n%c.every == 0 {
					buf.WriteString(nonASCII[n/c.every%len(nonASCII)])
				} else {
					buf.WriteString(ascii[n%len(ascii)])
				}
				buf.WriteByte(' ')
			}
			if line%500 == 0 {
				buf.WriteString("token=" + bs.secrets[line/500%len(bs.secrets)])
			}
			buf.WriteByte('\n')
		}
		data := []byte(buf.String())
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			perCPU(b, len(data), func() {
				w := bs.r.NewWriter(io.Discard)
				for off := 0; off < len(data); off += 32 << 10 {
					if _, err := w.Write(data[off:min(off+32<<10, len(data))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
