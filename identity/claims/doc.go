// Package claims maps the documented OIDC token claims of CI platforms
// (GitHub Actions, GitLab CI, CircleCI, Buildkite, and ztci's own issuer)
// onto the normalized [identity.Claims].
//
// A [Normalizer] runs only on claims whose signature has been verified
// (identity/oidc calls it). [ForIssuer] picks one by issuer URL:
//
//	c, err := claims.GitHubActions(raw) // raw: verified claims
//	if err != nil { ... }                // missing repository/sha, or a wrong JSON type
//	fmt.Println(c.Repository, c.Ref, c.Runner)
//
// Security contract: a normalizer never fills a field from a claim of the
// wrong type (numbers are accepted where platforms disagree on ids, booleans
// as true/false or "true"/"false"), fails with [ErrInvalidClaims] when a
// required claim is missing, and never copies unsigned data.
package claims
