package gate_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// review9PlainMediaType reads a Content-Type as a plain reader in front of
// the gate (a proxy, a WAF, a log pipeline) does: a media type, then
// ";"-separated name=value parameters, optional whitespace (SP, HTAB)
// around them and double quotes around a value removed, nothing decoded
// or unescaped. It reports whether that reader sees JSON as the gate reads
// it: media type application/json and no parameter but charset=utf-8.
func review9PlainMediaType(ct string) bool {
	const ows = " \t"
	parts := strings.Split(ct, ";")
	if !strings.EqualFold(strings.Trim(parts[0], ows), "application/json") {
		return false
	}
	for _, p := range parts[1:] {
		p = strings.Trim(p, ows)
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		v = strings.Trim(v, ows)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if !ok || !strings.EqualFold(strings.Trim(k, ows), "charset") || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// FuzzReview9CheckJSONContent checks gate.CheckJSONContent, which the gate
// and the Kubernetes webhook call on untrusted request headers:
//   - it never panics and every refusal wraps ErrUnsupportedContent;
//   - what it accepts has exactly one Content-Type, and a plain reader of
//     that header (review9PlainMediaType) sees application/json with no
//     parameter but charset=utf-8, so no reader in front of the gate can
//     take the body for another type or charset;
//   - every Content-Encoding of an accepted request is identity;
//   - the usual spellings of JSON are accepted.
func FuzzReview9CheckJSONContent(f *testing.F) {
	for _, s := range [][3]string{
		{"application/json", "", ""},
		{"application/json; charset=utf-8", "", ""},
		{"Application/JSON; charset=UTF-8", "identity", ""},
		{`application/json; charset="utf-8"`, "", ""},
		{"application/json; charset=utf-16", "", ""},
		{"application/json", "gzip", ""},
		{"application/json", "", "text/plain"},
		{"text/plain", "", ""},
		{"application/json;charset=utf-8;", "", ""},
		{"application/json; charset*=utf-8''utf-8", "", ""},
		{"application/json; charset*0=utf; charset*1=-8", "", ""},
		{"application/json; boundary=x", "", ""},
		{"application/x-www-form-urlencoded", "", ""},
		{"", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, ct, ce, ct2 string) {
		h := http.Header{}
		if ct != "" || ct2 != "" {
			h["Content-Type"] = []string{ct}
		}
		if ct2 != "" {
			h["Content-Type"] = append(h["Content-Type"], ct2)
		}
		if ce != "" {
			h["Content-Encoding"] = []string{ce}
		}
		err := gate.CheckJSONContent(h)
		if err != nil {
			if !errors.Is(err, gate.ErrUnsupportedContent) {
				t.Fatalf("CheckJSONContent(%q) = %v, not ErrUnsupportedContent", h, err)
			}
			if ct2 == "" && ce == "" && (ct == "application/json" || ct == "application/json; charset=utf-8") {
				t.Fatalf("CheckJSONContent refused plain JSON %q: %v", ct, err)
			}
			return
		}
		if len(h.Values("Content-Type")) != 1 {
			t.Fatalf("accepted %d Content-Type headers: %q", len(h.Values("Content-Type")), h)
		}
		if !review9PlainMediaType(ct) {
			t.Fatalf("accepted Content-Type %q, which a plain reader does not read as application/json; charset=utf-8", ct)
		}
		if ce != "" && !strings.EqualFold(strings.Trim(ce, " \t"), "identity") {
			t.Fatalf("accepted Content-Encoding %q", ce)
		}
	})
}
