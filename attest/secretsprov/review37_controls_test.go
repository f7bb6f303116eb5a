package secretsprov_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/identity"
)

// TestReview37C1Controls: a string field "holding control characters" is
// refused, but the check (and the schema's pattern) stopped at U+007F: a
// secret name, ref or lease id holding a C1 control — U+0085 (NEL, a line
// break to many log readers) or U+009B (the 8-bit CSI a terminal reads as
// the start of an escape sequence) — was accepted and carried into the
// gate's policy input and audit trail. Every control character (Cc) is
// now refused, by Parse, by New and by the schema.
func TestReview37C1Controls(t *testing.T) {
	t.Parallel()
	const job = `"job":{"id":"j","identity":"i","ref":"REF","refProtected":false}`
	const cred = `{"leaseId":"LEASE","backend":"vault","secret":"SECRET","decisionId":"d","issuedOn":"2026-01-01T00:00:00Z"}`
	doc := `{` + job + `,"credentials":[` + cred + `]}`
	if _, err := secretsprov.Parse([]byte(doc)); err != nil {
		t.Fatalf("the plain document: %v", err)
	}
	for _, tc := range []struct{ name, field, r string }{
		{"NEL in secret", "SECRET", `\u0085`},
		{"CSI in secret", "SECRET", `\u009b`},
		{"PAD in lease id", "LEASE", `\u0080`},
		{"APC in ref", "REF", `\u009f`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bad := strings.Replace(doc, `"`+tc.field+`"`, `"prod/db`+tc.r+`x"`, 1)
			if _, err := secretsprov.Parse([]byte(bad)); !errors.Is(err, secretsprov.ErrInvalid) {
				t.Errorf("Parse: %v, want ErrInvalid", err)
			}
			if ok, _ := matchSchema(t, []byte(bad)); ok {
				t.Errorf("the schema accepts %s", bad)
			}
		})
	}
	var nel string
	if err := json.Unmarshal([]byte(`"prod/db\u0085"`), &nel); err != nil {
		t.Fatal(err)
	}
	_, err := secretsprov.New(identity.Identity{Issuer: "https://ci.example", Subject: "s", Claims: identity.Claims{Ref: "refs/heads/main"}}, secretsprov.Run{JobID: "j"}, []secretsprov.Credential{{LeaseID: "l", Backend: "vault",
		Secret: nel, DecisionID: "d", IssuedOn: time.Unix(1_700_000_000, 0)}})
	if !errors.Is(err, secretsprov.ErrInvalid) {
		t.Errorf("New: %v, want ErrInvalid", err)
	}
	// Printable text beyond ASCII is still a name.
	ok := strings.Replace(doc, `"SECRET"`, `"prod/contrôle-é"`, 1)
	if _, err := secretsprov.Parse([]byte(ok)); err != nil {
		t.Errorf("Parse of a non-ASCII name: %v", err)
	}
	if ok, errs := matchSchema(t, []byte(ok)); !ok {
		t.Errorf("the schema refuses a non-ASCII name: %v", errs)
	}
}
