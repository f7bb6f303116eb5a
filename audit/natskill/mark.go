package natskill

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/strictjson"
)

// Kind is what a mark names. Marks of different kinds never match each
// other: a key id "abc" marked is not a job "abc". The exception is
// [KindJob] and [KindSPIFFE], both actor ids: a check of either consults
// the marks of both ([Switch.For]).
type Kind string

// Kinds of marks.
const (
	// KindJob is a job identity: the stable [audit.Actor] ID that secrets
	// brokers and policy gates pass to Compromised.
	KindJob Kind = "job"
	// KindSPIFFE is a SPIFFE ID (spiffe://trust-domain/path) of a workload.
	KindSPIFFE Kind = "spiffe"
	// KindSigner is a signer identity, as a verifier reports it (e.g. a
	// Fulcio certificate's subject alternative name).
	KindSigner Kind = "signer"
	// KindKey is a key id (a JWKS kid, a key's fingerprint).
	KindKey Kind = "key"
	// KindBuilder is a SLSA builder id.
	KindBuilder Kind = "builder"
)

var kinds = []Kind{KindJob, KindSPIFFE, KindSigner, KindKey, KindBuilder}

func (k Kind) valid() bool {
	for _, v := range kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Mark is one fleet-wide mark: the in-memory switch's [audit.Mark] plus what
// kind of identity it names.
type Mark struct {
	Kind Kind
	audit.Mark
}

// live reports whether the mark is in force at now.
func (m Mark) live(now time.Time) bool { return m.Until.IsZero() || now.Before(m.Until) }

// maxIDLen bounds every text field of a stored mark: ids are URIs or SANs,
// not documents. A longer id is stored under its stand-in ([storedID]).
const maxIDLen = 4096

// longIDPrefix starts the stand-in of an id longer than maxIDLen bytes. It
// begins with NUL, which no id that gates and brokers check carries
// ([audit.CheckMarkID]).
const longIDPrefix = "\x00sha256:"

// storedID returns the id a mark of id is stored and looked up under: id
// itself, or, for an id longer than maxIDLen bytes (or one that begins as
// a stand-in does), longIDPrefix and the hex SHA-256 of id. Nothing bounds
// an identity's id but the size of an audit event (an OIDC identity is
// "<issuer>#<subject>", and a subject can carry a branch name twice), and
// refusing to mark a long one let that identity escape quarantine: the
// Escalator's mark of it was an error, which stopped a natsanomaly feeder
// and with it the fleet's anomaly detection. The mapping is one-to-one:
// an id kept as it is never begins as a stand-in does.
func storedID(id string) string {
	if len(id) <= maxIDLen && !strings.HasPrefix(id, longIDPrefix) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return longIDPrefix + hex.EncodeToString(sum[:])
}

// maxValueLen bounds a stored mark (and the bucket's max value size).
const maxValueLen = 5*maxIDLen + 256

// wire is a mark as stored in the bucket.
type wire struct {
	Kind   Kind      `json:"kind"`
	ID     string    `json:"id"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until,omitzero"`
}

// key returns the KV key of a mark: its kind, a dot, and the unpadded
// base64url SHA-256 of its id, so that any id is a valid key and the key
// space of one kind cannot reach another's.
func key(kind Kind, id string) string {
	sum := sha256.Sum256([]byte(id))
	return string(kind) + "." + base64.RawURLEncoding.EncodeToString(sum[:])
}

func encodeMark(m Mark) ([]byte, error) {
	return json.Marshal(wire{Kind: m.Kind, ID: m.ID, Reason: m.Reason, By: m.By, Since: m.Since.UTC(), Until: m.Until.UTC()})
}

// markSchema holds the member names of a stored mark as encodeMark spells
// them.
var markSchema = strictjson.SchemaOf(reflect.TypeFor[wire]())

// decodeMark parses the value stored under k. Whoever can write the bucket
// is trusted to mark, but a value that does not parse, is too large, or does
// not belong under its key is refused: the switch then cannot decide for
// that key and fails closed (see [ErrCorrupt]).
func decodeMark(k string, v []byte) (Mark, error) {
	if len(v) > maxValueLen {
		return Mark{}, fmt.Errorf("%w: value of %d bytes", ErrCorrupt, len(v))
	}
	// One JSON value (dec.More does not see a stray '}' or ']' after it),
	// no member twice and none in another case: encoding/json keeps the
	// last of two "until" members and reads "UNTIL" as "until", so another
	// reader of the bucket (a CLI, a replica of another version) would
	// hold another expiry, or another id, than this switch.
	// Neither error is quoted: both name what they found (a member's
	// name, a time or a number as written), and the value is logged with
	// the key it is stored under.
	if err := markSchema.Check(v); err != nil {
		return Mark{}, fmt.Errorf("%w: not JSON, or a member named twice or in another case", ErrCorrupt)
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Mark{}, fmt.Errorf("%w: not a mark in its JSON form (an unknown member, or a value of the wrong type)", ErrCorrupt)
	}
	if !w.Kind.valid() || w.ID == "" || w.Reason == "" || w.By == "" ||
		len(w.ID) > maxIDLen || len(w.Reason) > maxIDLen || len(w.By) > maxIDLen {
		return Mark{}, fmt.Errorf("%w: incomplete or oversized mark", ErrCorrupt)
	}
	if key(w.Kind, w.ID) != k {
		return Mark{}, fmt.Errorf("%w: mark stored under another key", ErrCorrupt)
	}
	return Mark{Kind: w.Kind, Mark: audit.Mark{ID: w.ID, Reason: w.Reason, By: w.By, Since: w.Since, Until: w.Until}}, nil
}
