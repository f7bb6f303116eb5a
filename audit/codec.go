package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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
		return &FieldError{Field: "outcome", Want: "allow|deny|success|failure|error", Got: string(e.Outcome)}
	}
	return nil
}

// Encode returns the stable JSON form of e: one line, no trailing newline,
// fields in the order of the [Event] declaration, map keys sorted, time in
// UTC RFC 3339 with nanoseconds. The form is pinned by a golden test; new
// fields are only ever added, never renamed. Encode rejects events that fail
// [Event.Validate].
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

// Decode parses the JSON form of an event from untrusted input. It rejects
// unknown fields, members named twice in one object (claims and attributes
// included) or spelled in another case than the stable form's, trailing
// data, input over [MaxEventSize] and events that fail [Event.Validate]:
// encoding/json alone keeps the last of two members and matches names
// case-insensitively, so a parser that keeps the first or matches exactly
// would read another event from the same bytes.
func Decode(data []byte) (Event, error) {
	var e Event
	if len(data) > MaxEventSize {
		return e, &FieldError{Field: "(event)", Want: fmt.Sprintf("at most %d bytes", MaxEventSize), Got: fmt.Sprintf("%d bytes", len(data))}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, fmt.Errorf("%w: trailing data after event", ErrInvalidEvent)
	}
	if err := checkMembers(data); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Member names of the objects of an event, as the stable form spells them.
var (
	eventMembers = map[string]bool{"id": true, "time": true, "source": true, "action": true, "outcome": true,
		"actor": true, "resource": true, "reason": true, "policy_revision": true, "violations": true,
		"correlation": true, "attributes": true}
	actorMembers       = map[string]bool{"id": true, "kind": true, "claims": true}
	correlationMembers = map[string]bool{"job_id": true, "run_id": true, "trace_id": true}
)

// checkMembers walks data, which encoding/json has already decoded as an
// event, and refuses a member name that appears twice in one object, or a
// name of the event, actor or correlation object not spelled exactly as
// the stable form spells it.
func checkMembers(data []byte) error {
	type frame struct {
		object  bool
		names   map[string]bool // object: the names seen so far
		allowed map[string]bool // struct object: its member names; nil for a map
		event   bool            // the event object itself
		key     string          // object: the name of the value being read
		wantKey bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					stack[len(stack)-1].wantKey = true
				}
				continue
			}
			k, _ := tok.(string)
			if top.names[k] {
				return fmt.Errorf("member %q appears twice", k)
			}
			if top.allowed != nil && !top.allowed[k] {
				return fmt.Errorf("member %q is not spelled as the stable form spells it", k)
			}
			top.names[k], top.key, top.wantKey = true, k, false
			continue
		}
		d, isDelim := tok.(json.Delim)
		switch {
		case isDelim && (d == '{' || d == '['):
			f := &frame{object: d == '{', names: map[string]bool{}, wantKey: true}
			if f.object {
				switch {
				case top == nil:
					f.allowed, f.event = eventMembers, true
				case top.event && top.key == "actor":
					f.allowed = actorMembers
				case top.event && top.key == "correlation":
					f.allowed = correlationMembers
				}
			}
			stack = append(stack, f)
		case isDelim: // ']' (a '}' is read where a key is wanted)
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].wantKey = true
			}
		case top != nil && top.object:
			top.wantKey = true
		}
	}
}
