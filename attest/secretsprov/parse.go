package secretsprov

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// Errors. Every error of this package wraps [ErrInvalid], which wraps
// attest.ErrInvalidPredicate.
var (
	// ErrInvalid: a secrets provenance breaks the schema's rules.
	ErrInvalid = fmt.Errorf("%w: secrets provenance", attest.ErrInvalidPredicate)
	// ErrMissingField: a required field is absent or null.
	ErrMissingField = fmt.Errorf("%w: missing field", ErrInvalid)
	// ErrUnknownField: the document has a field the schema does not define.
	ErrUnknownField = fmt.Errorf("%w: unknown field", ErrInvalid)
	// ErrMalformed: the document is not one JSON object of the schema's
	// shape: a syntax error, a value of the wrong JSON type, a repeated
	// member or a member name in another case, trailing data.
	ErrMalformed = fmt.Errorf("%w: malformed JSON", ErrInvalid)
	// ErrTooLarge: the document exceeds [MaxSize] or [MaxCredentials], or
	// holds more array elements and members than its size allows (a flood
	// of empty credentials, refused before it is decoded).
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalid)
)

//go:embed secrets-provenance.v1.schema.json
var schema []byte

// JSONSchema returns the JSON Schema (draft-07) of the predicate, a copy
// of secrets-provenance.v1.schema.json. [Parse] accepts the documents it
// describes and refuses the others; beyond what a schema can say, Parse
// also refuses repeated lease ids, a revocation before its issue and a
// SPIFFE ID that does not parse.
func JSONSchema() []byte { return bytes.Clone(schema) }

// The wire form: pointers tell an absent (or null) member from a zero one.
type wireProvenance struct {
	Job         *wireJob          `json:"job"`
	Credentials *[]wireCredential `json:"credentials"`
}

type wireJob struct {
	ID           *string `json:"id"`
	Identity     *string `json:"identity"`
	SPIFFEID     *string `json:"spiffeId"`
	Repository   *string `json:"repository"`
	Ref          *string `json:"ref"`
	RefProtected *bool   `json:"refProtected"`
	RunID        *string `json:"runId"`
}

type wireCredential struct {
	LeaseID        *string    `json:"leaseId"`
	Backend        *string    `json:"backend"`
	Secret         *string    `json:"secret"`
	DecisionID     *string    `json:"decisionId"`
	PolicyRevision *string    `json:"policyRevision"`
	IssuedOn       *time.Time `json:"issuedOn"`
	RevokedOn      *time.Time `json:"revokedOn"`
}

var wireSchema = strictjson.SchemaOf(reflect.TypeFor[wireProvenance]())

// Parse reads a secrets provenance predicate (the predicate object, not
// the whole Statement) strictly: at most [MaxSize] bytes of one JSON
// object, no repeated member and no member name in another case at any
// depth, no unknown member, every required member present and not null,
// every value of its JSON type, times in RFC 3339; then the rules of
// [Provenance.Validate]. Optional members may be absent; an explicit null
// is refused for them as well.
//
// Parse does not verify anything: a Provenance is evidence about a build
// only when the Statement carrying it was signed by an identity the
// verifier allows and its subject is the build's artifact.
func Parse(b []byte) (*Provenance, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(b), MaxSize)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	// Bounded: `"credentials":[{},{},…]` decoded to some 130 bytes per
	// byte of the document before MaxCredentials was checked.
	if err := wireSchema.CheckBounded(b); errors.Is(err, strictjson.ErrTooManyElements) {
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
	} else if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if strictjson.HasNull(b) {
		return nil, fmt.Errorf("%w: null is not a value of any field (leave an optional field out)", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireProvenance
	if err := dec.Decode(&w); err != nil {
		return nil, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the object", ErrMalformed)
	}
	return w.provenance()
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%w: %s is a JSON %s, want %s", ErrMalformed, te.Field, te.Value, te.Type)
	}
	// encoding/json reports an unknown member only by this message.
	if msg := err.Error(); len(msg) > len("json: unknown field ") && msg[:len("json: unknown field ")] == "json: unknown field " {
		return fmt.Errorf("%w: %s", ErrUnknownField, clip.String(msg[len("json: unknown field "):], 64))
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

func (w *wireProvenance) provenance() (*Provenance, error) {
	if w.Job == nil {
		return nil, fmt.Errorf("%w: job is required", ErrMissingField)
	}
	if w.Credentials == nil {
		return nil, fmt.Errorf("%w: credentials is required (an empty list says the job received none)", ErrMissingField)
	}
	j := w.Job
	switch {
	case j.ID == nil:
		return nil, fmt.Errorf("%w: job.id is required", ErrMissingField)
	case j.Identity == nil:
		return nil, fmt.Errorf("%w: job.identity is required", ErrMissingField)
	case j.Ref == nil:
		return nil, fmt.Errorf("%w: job.ref is required", ErrMissingField)
	case j.RefProtected == nil:
		return nil, fmt.Errorf("%w: job.refProtected is required", ErrMissingField)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"job.spiffeId", j.SPIFFEID}, {"job.repository", j.Repository}, {"job.runId", j.RunID}} {
		if f.v != nil && *f.v == "" {
			return nil, fmt.Errorf("%w: %s is empty (leave an optional field out instead)", ErrInvalid, f.name)
		}
	}
	p := &Provenance{
		Job: Job{ID: *j.ID, Identity: *j.Identity, SPIFFEID: deref(j.SPIFFEID), Repository: deref(j.Repository),
			Ref: *j.Ref, RefProtected: *j.RefProtected, RunID: deref(j.RunID)},
		Credentials: make([]Credential, 0, len(*w.Credentials)),
	}
	for i, c := range *w.Credentials {
		for _, f := range []struct {
			name string
			set  bool
		}{{"leaseId", c.LeaseID != nil}, {"backend", c.Backend != nil}, {"secret", c.Secret != nil},
			{"decisionId", c.DecisionID != nil}, {"issuedOn", c.IssuedOn != nil}} {
			if !f.set {
				return nil, fmt.Errorf("%w: credentials[%d].%s is required", ErrMissingField, i, f.name)
			}
		}
		if c.PolicyRevision != nil && *c.PolicyRevision == "" {
			return nil, fmt.Errorf("%w: credentials[%d].policyRevision is empty (leave it out instead)", ErrInvalid, i)
		}
		p.Credentials = append(p.Credentials, Credential{LeaseID: *c.LeaseID, Backend: *c.Backend, Secret: *c.Secret,
			DecisionID: *c.DecisionID, PolicyRevision: deref(c.PolicyRevision), IssuedOn: *c.IssuedOn, RevokedOn: c.RevokedOn})
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
