package gate_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/policy/gate"
)

// FuzzReview9CheckJSONContent checks gate.CheckJSONContent, which the gate
// and the Kubernetes webhook call on untrusted request headers:
//   - it never panics and every refusal wraps ErrUnsupportedContent;
//   - what it accepts has exactly one Content-Type, and a plain reader of
//     that header (mediatype.PlainJSON) sees application/json with no
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
		if !mediatype.PlainJSON(ct) {
			t.Fatalf("accepted Content-Type %q, which a plain reader does not read as application/json; charset=utf-8", ct)
		}
		if ce != "" && !strings.EqualFold(strings.Trim(ce, " \t"), "identity") {
			t.Fatalf("accepted Content-Encoding %q", ce)
		}
	})
}
