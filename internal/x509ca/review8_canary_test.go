package x509ca_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/x509ca"
)

func review8Forms(secret []byte) []string {
	dec := strings.Trim(fmt.Sprint(secret[:8]), "[]")
	return []string{string(secret[:16]), fmt.Sprintf("%x", secret[:8]), fmt.Sprintf("%X", secret[:8]), dec,
		base64.StdEncoding.EncodeToString(secret)[:16], strings.Trim(fmt.Sprintf("% x", secret[:8]), " ")}
}

func review8Leaks(t *testing.T, v any, secret []byte) {
	t.Helper()
	forms := review8Forms(secret)
	check := func(route, out string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("%s leaks the key (%q): %.300s", route, f, out)
				return
			}
		}
	}
	type holder struct{ Field any }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for name, x := range map[string]any{"value": v, "field": holder{v}, "ptr field": &holder{v}} {
			check("fmt "+verb+" of "+name, fmt.Sprintf(verb, x))
		}
	}
	var buf bytes.Buffer
	for name, h := range map[string]slog.Handler{"text": slog.NewTextHandler(&buf, nil), "json": slog.NewJSONHandler(&buf, nil)} {
		buf.Reset()
		l := slog.New(h)
		l.Info("m", "v", v, slog.Group("g", "v", v), "h", holder{v})
		check("slog "+name, buf.String())
	}
	b, _ := json.Marshal(holder{v})
	check("json", string(b))
}

const review8Seed = "CANARY-SEED-8f3e1c2d-0123456789a"

func TestReview8StateKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(review8Seed))
	review8Leaks(t, x509ca.State{Key: key}, key)
	review8Leaks(t, &x509ca.State{Key: key}, key)
}
