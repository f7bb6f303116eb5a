package mediatype

import "testing"

// TestPlainJSON: what a reader that decodes nothing sees as plain UTF-8
// JSON, and the spellings mime.ParseMediaType reads so but others do not.
func TestPlainJSON(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/json":                                        true,
		"Application/JSON; charset=UTF-8":                         true,
		"application/json ;\tcharset=\"utf-8\" ;":                 true,
		"application/json; charset=utf-16":                        false,
		"application/json; charset=utf-16; charset*=utf-8''utf-8": false,
		"application/json; charset*=utf-16''x":                    false,
		"application/json\u00a0":                                  false,
		"application/json; profile=x":                             false,
		"application/json; charset":                               false,
		"application/jsonx":                                       false,
		"":                                                        false,
	} {
		if got := PlainJSON(ct); got != want {
			t.Errorf("PlainJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}
