package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestNotUnicode: every check refuses bytes that are not UTF-8 and escaped
// lone surrogates, in names and values at any depth, which encoding/json
// would read as U+FFFD; surrogate pairs and U+FFFD itself are text.
func TestNotUnicode(t *testing.T) {
	t.Parallel()
	refused := []string{
		"{\"image\":\"reg.example/app:v1\xff\"}",
		"{\"a\xc0\":1}",
		`{"image":"reg.example/app:v1\ud800"}`,
		`{"image":"\uDC00reg.example/app"}`,
		`{"a":["x\ud83d"]}`,
		`{"a":"\ud83d\u0041"}`,
		`{"a":"\ud83d\\ude00"}`,
		`{"\udfff":1}`,
		`["\\\ud800"]`,
	}
	for _, doc := range refused {
		for name, check := range checks() {
			if err := check([]byte(doc)); !errors.Is(err, ErrNotUnicode) {
				t.Errorf("%s(%q) = %v, want ErrNotUnicode", name, doc, err)
			}
		}
	}
	accepted := []string{
		`{"a":"\ud83d\ude00 \uD83D\uDE00"}`,
		`{"a":"\ufffd","b":"` + "\uFFFD" + `"}`,
		`{"a":"\\ud800"}`,
		`{"a":"\\\\ud800 \u00e4 \n"}`,
		`{"a":"ä€😀"}`,
	}
	for _, doc := range accepted {
		for name, check := range checks() {
			if err := check([]byte(doc)); err != nil {
				t.Errorf("%s(%q) = %v, want nil", name, doc, err)
			}
		}
	}
}

func checks() map[string]func([]byte) error {
	return map[string]func([]byte) error{
		"Check":            func(b []byte) error { return Check(b) },
		"CheckUnvalidated": func(b []byte) error { return CheckUnvalidated(b) },
		"CheckRepeats":     CheckRepeats,
	}
}

// FuzzLoneSurrogate checks loneSurrogate against encoding/json, which reads
// a lone surrogate as U+FFFD: on valid UTF-8 that spells no U+FFFD itself
// (raw or escaped), a JSON string decodes to one exactly when it escapes a
// lone surrogate.
func FuzzLoneSurrogate(f *testing.F) {
	for _, s := range []string{`\ud800`, `\ud83d\ude00`, `\\ud800`, `a\ud83d\u0041`, `\uDC00`, `\\\udbff\udfff`, `x\ud800\`, `\n\"\/`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v string
		if !utf8.ValidString(s) || strings.Contains(s, "\uFFFD") || strings.Contains(strings.ToLower(s), "fffd") ||
			json.Unmarshal([]byte(`"`+s+`"`), &v) != nil {
			return
		}
		if got, want := loneSurrogate([]byte(s)), strings.Contains(v, "\uFFFD"); got != want {
			t.Fatalf("loneSurrogate(%q) = %v, decoded %q", s, got, v)
		}
	})
}
