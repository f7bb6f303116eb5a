package claims_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
)

// TestReview10IntegerIDsPastFloatPrecision: verified claims reach a
// normalizer through encoding/json, as float64. An integer id of 2^53 or
// more is not what the token stated once it is a float64
// (9007199254740993 arrives as 9007199254740992), so two repositories'
// ids would normalize to one; such a number is a type error, never
// rounded. Integers below 2^53, negative ones included, keep their value.
func TestReview10IntegerIDsPastFloatPrecision(t *testing.T) {
	t.Parallel()
	normalizers := map[string]struct {
		n     claims.Normalizer
		base  string
		claim string
		field func(identity.Claims) string
	}{
		"GitHubActions": {claims.GitHubActions, `{"repository":"o/r","sha":"abc"`, "repository_id", func(c identity.Claims) string { return c.RepositoryID }},
		"GitLabCI":      {claims.GitLabCI, `{"project_path":"g/p","sha":"abc"`, "project_id", func(c identity.Claims) string { return c.RepositoryID }},
		"ZTCI":          {claims.ZTCI, `{"repository":"o/r"`, "repository_owner_id", func(c identity.Claims) string { return c.RepositoryOwnerID }},
		"Buildkite":     {claims.Buildkite, `{"organization_slug":"o","pipeline_slug":"p","build_commit":"abc"`, "organization_id", func(c identity.Claims) string { return c.RepositoryOwnerID }},
	}
	for name, tc := range normalizers {
		decode := func(number string) map[string]any {
			var raw map[string]any
			if err := json.Unmarshal([]byte(tc.base+`,"`+tc.claim+`":`+number+`}`), &raw); err != nil {
				t.Fatal(err)
			}
			return raw
		}
		for number, want := range map[string]string{
			"9007199254740991":  "9007199254740991", // 2^53-1
			"123456":            "123456",
			"-9007199254740991": "-9007199254740991",
			"1e3":               "1000",
		} {
			c, err := tc.n(decode(number))
			if err != nil || tc.field(c) != want {
				t.Errorf("%s: %s = %s: got %q, %v; want %q", name, tc.claim, number, tc.field(c), err, want)
			}
		}
		for _, number := range []string{"9007199254740992", "9007199254740993", "-9007199254740993", "18446744073709551616", "1e300"} {
			c, err := tc.n(decode(number))
			var te *claims.ClaimTypeError
			if !errors.As(err, &te) || te.Claim != tc.claim || !errors.Is(err, claims.ErrInvalidClaims) {
				t.Errorf("%s: %s = %s: got %q, %v; want a ClaimTypeError", name, tc.claim, number, tc.field(c), err)
			}
		}
	}
}
