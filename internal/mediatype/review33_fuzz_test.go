package mediatype

import (
	"mime"
	"strings"
	"testing"
)

// FuzzReview33PlainJSON: whatever PlainJSON accepts, mime.ParseMediaType
// (the other reading the servers require) reads as application/json with
// at most a charset of utf-8, or refuses.
func FuzzReview33PlainJSON(f *testing.F) {
	for _, s := range []string{
		"application/json", "Application/JSON; charset=UTF-8", "application/json ;\tcharset=\"utf-8\" ;",
		"application/json; charset=utf-16; charset*=utf-8''utf-8", "application/json; charset*=utf-16''x",
		"application/json; charset=\"utf\\-8\"", "application/json; charset=\"utf-8;x\"", "application/json\u00a0",
		"application/json; charset=utf-8; charset=utf-16", "application/json;charset=utf-8,text/html",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if !PlainJSON(ct) {
			return
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return
		}
		if mt != "application/json" {
			t.Fatalf("PlainJSON(%q): mime reads %q", ct, mt)
		}
		for k, v := range params {
			if k != "charset" || !strings.EqualFold(v, "utf-8") {
				t.Fatalf("PlainJSON(%q): mime reads %s=%q", ct, k, v)
			}
		}
	})
}
