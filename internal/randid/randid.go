// Package randid makes the random identifiers ztci writes: audit event ids
// (audit.Event.ID) and token ids (a JWT's jti). It is the one home of what
// used to be a newID/newEventID helper in every package that emits events.
//
// It lives under internal/ rather than as an exported audit.NewEventID
// because not every id is an event's (the OIDC issuer's jti is not) and
// because vendors need no new API to make an id: any unique string is a
// valid event id; this is only the one ztci uses itself.
package randid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns 128 random bits from crypto/rand, hex encoded (32 lowercase
// hex digits): unique with overwhelming probability, unguessable, and safe
// in a log line, a URL or a file name.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go >= 1.24)
	return hex.EncodeToString(b[:])
}
