package redact_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

// xmlLeaky redacts itself for fmt, slog and encoding/json, but holds its
// secret in an exported field and has no MarshalText: encoding/xml (and
// every encoder that falls back to encoding.TextMarshaler, such as YAML's)
// reflects over the field and writes the secret, as x509ca.State wrote an
// ECDSA key's D.
type xmlLeaky struct{ Raw string }

func (x xmlLeaky) String() string                  { return redact.Marker }
func (x xmlLeaky) GoString() string                { return redact.Marker }
func (x xmlLeaky) Format(f fmt.State, _ rune)      { redact.Format(f, redact.Marker) }
func (x xmlLeaky) LogValue() slog.Value            { return redact.LogValue() }
func (x xmlLeaky) MarshalJSON() ([]byte, error)    { return redact.MarshalJSON() }
func (x xmlRedacted) MarshalText() ([]byte, error) { return redact.MarshalText() }

// xmlRedacted is xmlLeaky with MarshalText.
type xmlRedacted struct{ xmlLeaky }

// TestReview37RedactXMLRoute: redacttest.Check tries encoding/xml, and a
// type that answers it through MarshalText passes.
func TestReview37RedactXMLRoute(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	redacttest.Check(r, xmlLeaky{"canary-xml-4c1d"}, "canary-xml-4c1d", redact.Marker)
	if !r.failed {
		t.Fatal("redacttest.Check passed a type that leaks through encoding/xml")
	}
	redacttest.Check(t, xmlRedacted{xmlLeaky{"canary-xml-4c1d"}}, "canary-xml-4c1d", redact.Marker)
}
