package cosignfmt

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

// TestReview37StrictDecodeBounded: StrictDecode reads documents a registry
// or a signer wrote (cosign's Rekor bundle, RFC 3161 and DSSE annotations
// and layers, sign-blob's bundle, a Rekor entry's body). An array of many
// small elements decoded into a slice of structs costs encoding/json many
// times its size before any caller can count it; StrictDecode now weighs
// the arrays first (strictjson.ErrTooManyElements) and decodes only what
// the document's size allows. Documents of real shape still decode.
func TestReview37StrictDecodeBounded(t *testing.T) {
	t.Parallel()
	type sig struct {
		KeyID string  `json:"keyid"`
		Sig   *string `json:"sig"`
	}
	type env struct {
		Payload    *string `json:"payload"`
		Signatures []sig   `json:"signatures"`
	}
	names := []string{"payload", "signatures", "keyid", "sig"}
	many := func(elem string, n int) string {
		return `{"payload":"","signatures":[` + strings.Repeat(elem+",", n) + elem + `]}`
	}
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"one signature", `{"payload":"eyJ9","signatures":[{"keyid":"","sig":"MEUC"}]}`, true},
		{"a few signatures", many(`{"keyid":"k","sig":"MEUC"}`, 16), true},
		{"a large payload", `{"payload":"` + strings.Repeat("A", 4<<20) + `","signatures":[{"sig":"MEUC"}]}`, true},
		{"empty objects", many(`{}`, 1<<20), false},
		{"nulls", many(`null`, 1<<20), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var e env
			err := StrictDecode([]byte(tc.in), &e, names)
			if tc.ok {
				if err != nil || e.Payload == nil || len(e.Signatures) == 0 {
					t.Fatalf("%v, %d signatures", err, len(e.Signatures))
				}
				return
			}
			if !errors.Is(err, strictjson.ErrTooManyElements) || e.Signatures != nil {
				t.Fatalf("%v (%d signatures decoded), want ErrTooManyElements before decoding", err, len(e.Signatures))
			}
		})
	}
}
