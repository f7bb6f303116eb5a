// Package redacttest checks that a self-redacting value never reveals its
// secret, by every route a value takes to text: each fmt verb and flag,
// directly, by pointer and inside a struct, slice and map; slog's text and
// JSON handlers, as an attribute and inside a group; encoding/json and
// encoding/xml, directly and as a struct field; MarshalText; and an error
// that wraps it.
package redacttest
