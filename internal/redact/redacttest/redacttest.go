package redacttest

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Verbs are the fmt directives Check tries, with flags that change how a
// value is encoded (%x of a raw string is the secret in hex).
var Verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%10s", "%-10v", "%.3s", "%d", "%T"}

// Check fails t if any route prints canary, or a common encoding of it
// (hex, quoted). v must hold canary. want, when not empty, must appear in
// v's %v output (the placeholder, e.g. redact.Marker).
func Check(t testing.TB, v any, canary, want string) {
	t.Helper()
	if canary == "" {
		t.Fatal("redacttest: empty canary")
	}
	check(t, v, []string{canary, fmt.Sprintf("%x", canary), fmt.Sprintf("%X", canary), strings.Trim(fmt.Sprintf("%q", canary), `"`)}, want)
}

// CheckKey is Check for a value holding key material (at least 16 bytes,
// e.g. an Ed25519 private key): it fails t if any route prints the key's
// first bytes raw, in hex either case, spaced hex, as decimal bytes (fmt's
// %v of a []byte) or in base64. Types that hold a key in an unexported
// field are reached by reflection under verbs their methods do not answer,
// so each route is tried on the value, in a struct field and behind
// pointers.
func CheckKey(t testing.TB, v any, key []byte) {
	t.Helper()
	if len(key) < 16 {
		t.Fatal("redacttest: key material shorter than 16 bytes")
	}
	check(t, v, []string{string(key[:16]), fmt.Sprintf("%x", key[:8]), fmt.Sprintf("%X", key[:8]),
		strings.Trim(fmt.Sprint(key[:8]), "[]"), strings.Trim(fmt.Sprintf("% x", key[:8]), " "),
		base64.StdEncoding.EncodeToString(key)[:16]}, "")
}

// check fails t if any route prints one of forms.
func check(t testing.TB, v any, forms []string, want string) {
	t.Helper()
	leaks := func(route, out string) {
		t.Helper()
		for _, enc := range forms {
			if strings.Contains(out, enc) {
				t.Errorf("%s leaks the secret: %.300s", route, out)
				return
			}
		}
	}
	type holder struct {
		Field any
	}
	ptr := &v
	for _, verb := range Verbs {
		for name, x := range map[string]any{
			"value": v, "pointer to interface": ptr, "struct field": holder{v}, "pointer to struct": &holder{v},
			"slice": []any{v}, "map": map[string]any{"k": v},
		} {
			leaks(fmt.Sprintf("fmt %s of %s", verb, name), fmt.Sprintf(verb, x))
		}
	}
	if want != "" {
		if out := fmt.Sprint(v); !strings.Contains(out, want) {
			t.Errorf("fmt %%v = %q, want it to contain %q", out, want)
		}
	}

	var buf bytes.Buffer
	for name, h := range map[string]slog.Handler{
		"slog text": slog.NewTextHandler(&buf, nil),
		"slog JSON": slog.NewJSONHandler(&buf, nil),
	} {
		buf.Reset()
		l := slog.New(h)
		l.Info("msg", "secret", v)
		l.Info("msg", slog.Any("secret", v), slog.Group("g", "secret", v))
		l.With("secret", v).Info("msg")
		l.Info("msg", "holder", holder{v})
		leaks(name, buf.String())
	}

	for name, x := range map[string]any{"value": v, "struct field": holder{v}, "slice": []any{v}} {
		b, err := json.Marshal(x)
		if err != nil {
			t.Errorf("json.Marshal of %s: %v", name, err)
			continue
		}
		leaks("json.Marshal of "+name, string(b))
	}

	// encoding/xml (and other encoders that fall back to
	// encoding.TextMarshaler, such as YAML's) reflect over a value without
	// MarshalText: an ECDSA key's D is a *big.Int, which writes itself.
	for name, x := range map[string]any{"value": v, "struct field": holder{v}, "pointer to struct": &holder{v}} {
		if b, err := xml.Marshal(x); err == nil {
			leaks("xml.Marshal of "+name, string(b))
		}
	}
	if m, ok := v.(encoding.TextMarshaler); ok {
		if b, err := m.MarshalText(); err == nil {
			leaks("MarshalText", string(b))
		}
	}

	base := errors.New("refused")
	for _, err := range []error{
		fmt.Errorf("token %v: %w", v, base),
		fmt.Errorf("token %+v: %w", v, base),
		fmt.Errorf("token %#v: %w", v, base),
		fmt.Errorf("token %s: %w", v, base),
		fmt.Errorf("token %q: %w", v, base),
		fmt.Errorf("token %x: %w", v, base),
		fmt.Errorf("outer: %w", fmt.Errorf("inner %v: %w", v, base)),
	} {
		leaks("error", err.Error())
		leaks("error %+v", fmt.Sprintf("%+v", err))
	}
}
