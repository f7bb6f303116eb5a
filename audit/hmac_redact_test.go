package audit_test

import (
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

// TestHMACRedactsKey: the key never reaches text, by any fmt verb, slog
// handler, json.Marshal or wrapping error.
func TestHMACRedactsKey(t *testing.T) {
	t.Parallel()
	const canary = "canary-key-4d1f0b7a9e2c6d8f3a5b7c9d"
	h, err := audit.NewHMAC([]byte(canary), audit.FieldActorID)
	if err != nil {
		t.Fatal(err)
	}
	redacttest.Check(t, h, canary, redact.Marker)
}
