package secretsprov_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/internal/strictjson"
)

// TestReview32CredentialFlood: Parse decoded the whole credentials array
// before counting it against MaxCredentials, and its schema check was the
// unbounded one: a 1 MiB document of `{},` elements decoded to some
// 140 MB before the first credential was found wanting. Such a flood is
// now refused before decoding, with ErrTooLarge; the largest provenance
// of the shortest credentials still reads.
func TestReview32CredentialFlood(t *testing.T) {
	t.Parallel()
	job := `{"job":{"id":"j","identity":"i","ref":"r","refProtected":true},"credentials":[`
	var legit strings.Builder
	legit.WriteString(job)
	for i := range secretsprov.MaxCredentials {
		if i > 0 {
			legit.WriteString(",")
		}
		fmt.Fprintf(&legit, `{"leaseId":"%d","backend":"v","secret":"s","decisionId":"d","issuedOn":"2026-01-01T00:00:00Z"}`, i)
	}
	legit.WriteString(`]}`)
	for _, tc := range []struct {
		name, doc string
		want      error
	}{
		{"empty objects", job + strings.Repeat("{},", (secretsprov.MaxSize-200)/3) + `{}]}`, strictjson.ErrTooManyElements},
		{"one credential, then empty objects", job + `{"leaseId":"l","backend":"b","secret":"s","decisionId":"d","issuedOn":"2026-01-01T00:00:00Z"}` +
			strings.Repeat(",{}", (secretsprov.MaxSize-300)/3) + `]}`, strictjson.ErrTooManyElements},
		{"most credentials", legit.String(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := secretsprov.Parse([]byte(tc.doc))
			if tc.want == nil {
				if err != nil || len(p.Credentials) != secretsprov.MaxCredentials {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, secretsprov.ErrTooLarge) {
				t.Fatalf("Parse: %v, want %v and ErrTooLarge", err, tc.want)
			}
		})
	}
}
