package identity

// Masker learns secret values that must never appear in output. Every job
// token minted by identity is registered with the Masker it is given, so a
// log redactor (ztci's secrets package implements Masker) can scrub it.
//
// AddMask must be safe for concurrent use and must not fail: a Masker that
// cannot record a value must panic rather than let the value leak silently.
type Masker interface {
	AddMask(value string)
}

// MaskerFunc adapts a function to a Masker.
type MaskerFunc func(value string)

// AddMask calls f(value).
func (f MaskerFunc) AddMask(value string) { f(value) }
