package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// Forms that CI logs carry and that the redactor did not mask until a
// second outside review: terminal control sequences inside a value (grep
// --color, syntax highlighters), HTML and XML character references (JUnit
// XML reports, HTML error pages), decimal bytes (Go's %v of a []byte,
// Java's Arrays.toString, Node's JSON of a Buffer), and percent-encoding
// twice (a URL in a query parameter, GitHub Actions' escaping of workflow
// command messages).

// logFormSecrets hold every character that HTML, XML and URL encoders
// escape, non-ASCII (signed bytes in Java) and a surrogate pair.
var logFormSecrets = []string{"pa55w0rd", canary, `p@ss<w&rd>"x'y-Zq9€ +/:`, "Ab3x😀Yz7w€-CANARY"}

// interleave writes seq between every two bytes of s.
func interleave(s, seq string) string {
	var b strings.Builder
	for i := range len(s) {
		if i > 0 {
			b.WriteString(seq)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeData is @actions/core's escaping of a workflow command's message
// (command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func goLogFormCases() []classCase {
	var cs []classCase
	for _, s := range logFormSecrets {
		n := len(s) / 2
		for n > 0 && s[n]&0xC0 == 0x80 {
			n-- // grep highlights whole characters
		}
		// Control sequences inside the value, as grep --color, syntax
		// highlighters, colour-per-character banners and tput write them;
		// the sequences right before and after it stay.
		cs = append(cs,
			classCase{encoder: "grep --color=always of a prefix", secret: s, pre: "config.env:3:TOKEN=\x1b[01;31m\x1b[K", form: s[:n] + "\x1b[m\x1b[K" + s[n:], post: "\n"},
			classCase{encoder: "grep --color=always of a middle", secret: s, pre: "TOKEN=", form: s[:n] + "\x1b[01;31m\x1b[K" + s[n:n+1] + "\x1b[m\x1b[K" + s[n+1:], post: "\n"},
			classCase{encoder: "SGR between every byte", secret: s, pre: "\x1b[1m", form: interleave(s, "\x1b[31m"), post: "\x1b[0m\n"},
			classCase{encoder: "24-bit colour and tput sgr0", secret: s, pre: "token ", form: s[:n] + "\x1b[38;2;255;100;0m" + s[n:len(s)-1] + "\x1b(B\x1b[m" + s[len(s)-1:], post: "\n"},
			classCase{encoder: "OSC 8 hyperlink over a part", secret: s, pre: "see ", form: s[:n] + "\x1b]8;;https://ci.example/x\x1b\\" + s[n:], post: "\x1b]8;;\x07 here"},
		)
		_, b64, rest := splitEncoded(base64.StdEncoding.EncodeToString([]byte(s)), 6, 0, len(s))
		cs = append(cs, classCase{encoder: "grep --color=always in base64", secret: s, pre: "Authorization: Basic ", form: b64[:4] + "\x1b[01;31m\x1b[K" + b64[4:8] + "\x1b[m\x1b[K" + b64[8:], post: rest + "\n"})

		// Character references, as Go's HTML and XML encoders write them,
		// and numeric for every character.
		var xmlText, dec, hexRef bytes.Buffer
		xml.EscapeText(&xmlText, []byte(s))
		for _, r := range s {
			fmt.Fprintf(&dec, "&#%d;", r)
			fmt.Fprintf(&hexRef, "&#X%X;", r)
		}
		attr, _ := xml.Marshal(struct {
			XMLName xml.Name `xml:"failure"`
			Message string   `xml:"message,attr"`
		}{Message: s})
		a := strings.TrimSuffix(strings.TrimPrefix(string(attr), `<failure message="`), `"></failure>`)
		for _, c := range []classCase{
			{encoder: "html.EscapeString", secret: s, pre: "<td>", form: html.EscapeString(s), post: "</td>"},
			{encoder: "xml.EscapeText", secret: s, pre: "<system-out>", form: xmlText.String(), post: "</system-out>"},
			{encoder: "xml.Marshal attribute", secret: s, pre: `<failure message="`, form: a, post: `"></failure>`},
			{encoder: "&#NN; for every character", secret: s, pre: "<p>", form: dec.String(), post: "</p>"},
			{encoder: "&#XHH; for every character", secret: s, pre: "<p>", form: hexRef.String(), post: "</p>"},
		} {
			// References are decoded only for secrets that hold a
			// character escapers escape (see
			// TestRedactNotMaskedRefsOfEveryCharacter).
			escaped := strings.ContainsAny(s, `&<>"'`) || strings.IndexFunc(s, func(r rune) bool { return r > 0x7f }) >= 0
			if c.form != s && escaped {
				cs = append(cs, c)
			}
		}

		// Decimal bytes.
		v := fmt.Sprintf("%v", []byte(s))
		cs = append(cs,
			classCase{encoder: "fmt %v of a []byte", secret: s, pre: "key=[", form: v[1 : len(v)-1], post: "]\n"},
			classCase{encoder: "JSON of a Node Buffer", secret: s, pre: `{"type":"Buffer","data":[`, form: strings.ReplaceAll(v[1:len(v)-1], " ", ","), post: "]}"},
		)

		// Percent-encoded twice.
		for _, c := range []classCase{
			{encoder: "url.QueryEscape twice", secret: s, pre: "redirect_uri=https%3A%2F%2Fci%2Fcb%3Ft%3D", form: url.QueryEscape(url.QueryEscape(s)), post: "&x=1"},
			{encoder: "url.PathEscape twice", secret: s, pre: "next=%2F", form: url.PathEscape(url.PathEscape(s)), post: "%2F"},
			{encoder: "::warning:: of a URL with a PathEscape'd password", secret: s, pre: "::warning::fetch https://u:", form: escapeData(url.PathEscape(s)), post: "@host failed\n"},
		} {
			if c.form != url.PathEscape(s) && c.form != url.QueryEscape(s) {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// TestRedactLogForms writes the secrets as Go's encoders (and reproductions
// of grep, highlighters and the Actions toolkit) write them, and checks
// that exactly the secret's part is masked, however the stream is split.
func TestRedactLogForms(t *testing.T) {
	t.Parallel()
	for _, c := range goLogFormCases() {
		t.Run(c.encoder, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, 1)
		})
	}
}

// TestRedactLogFormsRealTools does the same for what real tools wrote
// (testdata/encoders/logforms.json; logforms.py regenerates it).
func TestRedactLogFormsRealTools(t *testing.T) {
	t.Parallel()
	for _, c := range readClassCases(t, "testdata/encoders/logforms.json", 300) {
		t.Run(c.encoder, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, max(1, len(c.pre+c.form+c.post)/32))
		})
	}
}

// TestRedactLogFormsOrdinaryText checks that the new decoders leave
// ordinary text alone: a coloured log, HTML with references, numbers, and
// twice-encoded URLs that hold no secret.
func TestRedactLogFormsOrdinaryText(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	for _, s := range logFormSecrets {
		r.AddMask(s)
	}
	text := "\x1b[32mINFO\x1b[0m build \x1b[1mok\x1b[0m in 12s \x1b]8;;https://ci/x\x1b\\link\x1b]8;;\x1b\\\n" +
		"<a href=\"/x?a=1&amp;b=2\">&lt;p&gt; &copy; &#169; &#xA9; &notit; &amp</a>\n" +
		"[72 101 108 108 111 32 119 111 114 108 100] [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" +
		"next=%252Fdashboard%253Fa%253D1 ::debug::100%25 done%0Anext\n"
	for _, chunks := range [][][]byte{{[]byte(text)}, bytewise(text)} {
		if out := redactAll(t, r, chunks...); out != text {
			t.Fatalf("ordinary text changed: %q", out)
		}
	}
}

// TestRedactNotMaskedRefsOfEveryCharacter pins an item of the documented
// list of what is not masked: references are looked for only while a
// secret holds a character escapers write as one (&<>"' or non-ASCII); a
// secret without one, every character of which was written as a reference
// (which no escaper does by default), is not masked.
func TestRedactNotMaskedRefsOfEveryCharacter(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask("pa55w0rd-CANARY")
	var all strings.Builder
	for _, c := range "pa55w0rd-CANARY" {
		fmt.Fprintf(&all, "&#%d;", c)
	}
	in := "<p>" + all.String() + "</p>"
	if out := redactAll(t, r, []byte(in)); out != in {
		t.Fatalf("%q is masked (%q); update the documented list", in, out)
	}
	r.AddMask("p@ss<w&rd>-CANARY") // a secret with characters escapers escape
	if out := redactAll(t, r, []byte(in)); strings.Contains(out, all.String()) {
		t.Fatalf("%q not masked once a secret holds &<>: %q", in, out)
	}
}

// TestTokenNamesSpellNoValue checks that a token never writes out a
// value: a secret named after another secret's value is written without
// its name.
func TestTokenNamesSpellNoValue(t *testing.T) {
	t.Parallel()
	for _, order := range []bool{false, true} {
		var occ []secrets.Occurrence
		r, err := secrets.NewTokenRedactor(tokenKey, "job", secrets.WithOccurrenceHook(func(o secrets.Occurrence) { occ = append(occ, o) }))
		if err != nil {
			t.Fatal(err)
		}
		named := func() { r.AddSecret("prod_db_password", "Zq9vX2-s3cr3t") }
		if order {
			named()
		}
		r.AddSecret("other", "prod_db_password")
		if !order {
			named()
		}
		out := redactAll(t, r, []byte("a Zq9vX2-s3cr3t b prod_db_password c"))
		if strings.Contains(out, "prod_db_password") || strings.Contains(out, "Zq9vX2") {
			t.Fatalf("a value came through a token: %q", out)
		}
		if len(occ) != 2 || !strings.HasPrefix(occ[0].Token, "[secret:") || occ[0].Name != "prod_db_password" {
			t.Fatalf("occurrences %+v", occ)
		}
	}
}

// TestRedactPrefixedLinesRealTools writes base64 and base32 that real
// encoders wrapped into lines with the text a log multiplexer writes
// before each line (GitHub Actions' and GitLab's timestamps, BuildKit,
// docker compose, kubectl logs --prefix), and checks that all of the
// secret's part is masked, prefixes inside it included
// (testdata/encoders/prefixed.json; prefixed.py regenerates it). Until a
// third outside review the lines after the first were not joined: the
// prefix was read as the next line's base64, and all but the first and
// last lines of a key's base64 came through.
func TestRedactPrefixedLinesRealTools(t *testing.T) {
	t.Parallel()
	for _, c := range readClassCases(t, "testdata/encoders/prefixed.json", 250) {
		// checkClass writes other log text before c.pre: on a line of its
		// own, as a multiplexer writes the same prefix on each.
		c.pre = "\n" + c.pre
		t.Run(c.encoder, func(t *testing.T) {
			t.Parallel()
			checkClass(t, c, max(1, len(c.pre+c.form+c.post)/32))
		})
	}
}
