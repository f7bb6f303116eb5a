package secretsprov_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/identity"
)

// BenchmarkParse reads a predicate of 2 and of 1,000 credentials.
func BenchmarkParse(b *testing.B) {
	id := identity.Identity{Issuer: "https://ci.example", Subject: "s", Claims: identity.Claims{Ref: "refs/heads/main", RefProtected: true}}
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	for _, n := range []int{2, 1000} {
		creds := make([]secretsprov.Credential, n)
		for i := range creds {
			r := t0.Add(time.Hour)
			creds[i] = secretsprov.Credential{LeaseID: fmt.Sprintf("ztci_%024x", i), Backend: "vault", Secret: fmt.Sprintf("prod/secret-%d", i),
				DecisionID: fmt.Sprintf("evt-%024x", i), PolicyRevision: "sha256:3f1c9e0b7a5d", IssuedOn: t0.Add(time.Duration(i) * time.Second), RevokedOn: &r}
		}
		p, err := secretsprov.New(id, secretsprov.Run{JobID: "build-1"}, creds)
		if err != nil {
			b.Fatal(err)
		}
		doc, err := p.PredicateJSON()
		if err != nil {
			b.Fatal(err)
		}
		// The peer: encoding/json into the same model, with none of
		// Parse's checks.
		b.Run(fmt.Sprintf("credentials=%d/encoding-json", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				var q secretsprov.Provenance
				if err := json.Unmarshal(doc, &q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("credentials=%d/Parse", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := secretsprov.Parse(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
