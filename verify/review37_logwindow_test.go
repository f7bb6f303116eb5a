package verify_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/verify"
)

// TestReview37LogWindowProofOnly: a trusted root bounds each log key's
// use (validFor), and sigstore-go checks it only against a signed entry
// timestamp's integrated time: an entry proven by inclusion proof alone
// (every Rekor v2 entry, a Rekor v1 entry without SET) verified under a
// log key whose window had closed long before the signature was made (a
// retired or compromised log key), or not yet opened. Such an entry must
// not count: the log key must be valid at a time the bundle proves
// (ErrTlog).
func TestReview37LogWindowProofOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		start, end string
		ok         bool
	}{
		{name: "open window", start: "2025-04-16T00:00:00Z", ok: true},
		{name: "window closed before the signature", start: "2021-01-01T00:00:00Z", end: "2022-01-01T00:00:00Z"},
		{name: "window opens after the signature", start: "2030-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bundle, trustJSON, artifact := review37Vector(t, "rekor2-happy-path")
			var tr map[string]any
			if err := json.Unmarshal(trustJSON, &tr); err != nil {
				t.Fatal(err)
			}
			logID := review37Entry(bundle)["logId"].(map[string]any)["keyId"]
			for _, l := range tr["tlogs"].([]any) {
				l := l.(map[string]any)
				if l["logId"].(map[string]any)["keyId"] != logID {
					continue
				}
				vf := map[string]any{"start": tt.start}
				if tt.end != "" {
					vf["end"] = tt.end
				}
				l["publicKey"].(map[string]any)["validFor"] = vf
			}
			err := review37Verify(t, bundle, mustJSON(t, tr), artifact)
			if tt.ok {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if !errors.Is(err, verify.ErrTlog) {
				t.Fatalf("want ErrTlog, got %v", err)
			}
		})
	}
}
