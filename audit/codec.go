package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/strictjson"
)

// MaxEventSize bounds the encoded size of one event. [Decode] and the log
// reader reject larger input.
const MaxEventSize = 64 << 10

// Validate reports the first missing or invalid required field as a
// [*FieldError]. Required: ID, Time, Source, Action, a known Outcome and
// Actor.ID.
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return &FieldError{Field: "id", Want: "non-empty"}
	case e.Time.IsZero():
		return &FieldError{Field: "time", Want: "non-zero time"}
	case e.Source == "":
		return &FieldError{Field: "source", Want: "non-empty"}
	case e.Action == "":
		return &FieldError{Field: "action", Want: "non-empty"}
	case e.Actor.ID == "":
		return &FieldError{Field: "actor.id", Want: "non-empty"}
	}
	switch e.Outcome {
	case OutcomeAllow, OutcomeDeny, OutcomeSuccess, OutcomeFailure, OutcomeError:
	default:
		// Not the outcome itself: Decode validates untrusted events, and
		// an error must not carry what a log line or a publisher wrote.
		return &FieldError{Field: "outcome", Want: "allow|deny|success|failure|error", Got: otherText(len(e.Outcome))}
	}
	return nil
}

// Encode returns the stable JSON form of e: one line, no trailing newline,
// fields in the order of the [Event] declaration, map keys sorted, time in
// UTC RFC 3339 with nanoseconds. The form is pinned by a golden test; new
// fields are only ever added, never renamed. Encode rejects events that fail
// [Event.Validate] and events holding a string (a map key included) that
// is not valid UTF-8, which the form could only record altered: a
// [*FieldError] naming the field. So every sink that encodes (the [Log],
// [JSONLines], [Webhook], natsink, otelsink) refuses such an event, and
// whatever Encode returns, [Decode] reads back.
func Encode(e Event) ([]byte, error) {
	p, err := encodePrefixed(e)
	if err != nil {
		return nil, err
	}
	return p[1:], nil
}

// encodePrefixed is Encode with one scratch byte before the JSON (see
// hashLeafPrefixed).
func encodePrefixed(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if err := checkText(&e); err != nil {
		return nil, err
	}
	e.Time = e.Time.UTC()
	b, err := appendEvent(make([]byte, 1, 512), &e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if len(b)-1 > MaxEventSize {
		return nil, &FieldError{Field: "(event)", Want: fmt.Sprintf("at most %d bytes encoded", MaxEventSize), Got: fmt.Sprintf("%d bytes", len(b)-1)}
	}
	return b, nil
}

// checkText refuses an event holding a string that is not valid UTF-8.
// The stable form would replace each invalid byte with U+FFFD, as
// encoding/json does, so it would record another event than the one
// written: two identities, or two claim or attribute keys, that differ in
// those bytes only would be written alike — the keys as one member named
// twice, which [Decode] (and so [ReadEntries], [Verifier.VerifyEvent] and
// every strict reader) refuses, and which other readers resolve each
// their own way. The error names the field, never its value.
func checkText(e *Event) error {
	bad := func(field string) error {
		return &FieldError{Field: field, Want: "valid UTF-8 (the stable form cannot carry other bytes)", Got: "invalid UTF-8"}
	}
	for _, f := range [...]struct{ name, v string }{
		{"id", e.ID}, {"source", e.Source}, {"action", e.Action}, {"actor.id", e.Actor.ID},
		{"actor.kind", e.Actor.Kind}, {"resource", e.Resource}, {"reason", e.Reason},
		{"policy_revision", e.PolicyRevision}, {"correlation.job_id", e.Correlation.JobID},
		{"correlation.run_id", e.Correlation.RunID}, {"correlation.trace_id", e.Correlation.TraceID},
	} {
		if !utf8.ValidString(f.v) {
			return bad(f.name)
		}
	}
	for _, v := range e.Violations {
		if !utf8.ValidString(v) {
			return bad("violations")
		}
	}
	if !validMap(e.Actor.Claims) {
		return bad("actor.claims")
	}
	if !validMap(e.Attributes) {
		return bad("attributes")
	}
	return nil
}

func validMap(m map[string]string) bool {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// Decode parses the JSON form of an event from untrusted input. It rejects
// unknown fields, members named twice in one object (claims and attributes
// included) or spelled in another case than the stable form's, trailing
// data, input over [MaxEventSize] and events that fail [Event.Validate]:
// encoding/json alone keeps the last of two members and matches names
// case-insensitively, so a parser that keeps the first or matches exactly
// would read another event from the same bytes.
//
// Its errors say what kind of failure it was and where (a byte offset, a
// field name of the stable form), never what the input holds there: a log
// line or a stream message may carry a secret a producer should not have
// written, or terminal escapes, and the errors end up in logs.
func Decode(data []byte) (Event, error) {
	var e Event
	if len(data) > MaxEventSize {
		return e, &FieldError{Field: "(event)", Want: fmt.Sprintf("at most %d bytes", MaxEventSize), Got: fmt.Sprintf("%d bytes", len(data))}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, undecodable(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, fmt.Errorf("%w: trailing data after event", ErrInvalidEvent)
	}
	if err := eventSchema.CheckRepeats(data); err != nil {
		return Event{}, undecodable(err)
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// undecodable describes why data did not decode as an event without
// quoting it: encoding/json's errors name what they found (an unknown
// member's name, a number literal, a time as written, a repeated claim
// key), and so does strictjson's. None of them is wrapped, or their text
// would come along.
func undecodable(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
		pe *time.ParseError
		me *strictjson.MemberError
	)
	why := "not an event in its JSON form"
	switch {
	case errors.As(err, &se):
		why = fmt.Sprintf("not JSON: syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		why = fmt.Sprintf("a member of the wrong JSON type at byte %d", te.Offset)
	case errors.As(err, &pe):
		why = "time: not an RFC 3339 time"
	case errors.As(err, &me):
		why = "a member named twice, or spelled in another case than the stable form"
	case errors.Is(err, strictjson.ErrNotUnicode):
		why = "a string that is not Unicode"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		why = "an unknown member"
	}
	return fmt.Errorf("%w: %s", ErrInvalidEvent, why)
}

// eventSchema knows the member names of the event, actor and correlation
// objects as the stable form spells them: one spelled in another case is
// refused, as is a member repeated in any object (claims and attributes
// included). Keys of claims and attributes that differ only in case are
// two keys, as the encoder writes them.
var eventSchema = strictjson.SchemaOf(reflect.TypeFor[Event]())
