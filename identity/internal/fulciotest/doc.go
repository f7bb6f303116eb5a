// Package fulciotest holds the integration test in which a real Fulcio
// trusts identity/oidc's issuer. It has no non-test code; it lives apart so
// that its test-only imports never touch package identity.
package fulciotest
