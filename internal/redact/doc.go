// Package redact is the one home of how ztci's secret-holding types
// (oidc.Token, gate.Token, audit.HMAC, secrets.Value, and the types that
// hold signing keys or tokens, such as the CA, TSA and issuers, the Vault
// backend, the broker and a job) print themselves: the placeholder [Marker] and the
// bodies of their String, GoString, Format, LogValue, MarshalJSON and
// MarshalText methods. [WithoutToken] strips a token from the text of an
// error a vendor's verifier returned, for the log.
//
// Each type keeps its own one-line methods (a method promoted from an
// embedded helper would be silently shadowed by a type that defines only
// some of them, and Format is what every fmt verb goes through), so that
// the set a type implements is visible in its own file; what they write is
// decided here. internal/redact/redacttest checks a type against every
// route by which a value reaches text.
//
// Security contract: nothing in this package ever sees a secret, except
// the token [WithoutToken] removes from a message (it keeps no copy). A type
// that redacts itself must implement all of fmt.Formatter, fmt.GoStringer,
// slog.LogValuer and json.Marshaler (fmt.Stringer alone leaves %x and %q
// of a struct field, and encoding/json, to reflection over the raw value),
// and encoding.TextMarshaler too when an exported field holds the secret
// (encoding/xml, and YAML encoders, reflect over exported fields of a type
// without it; redacttest tries encoding/xml).
package redact
