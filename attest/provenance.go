package attest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/ztci/ztci/internal/slsasource"
	"github.com/ztci/ztci/internal/strictjson"
)

// SLSA provenance v1 validation errors; each wraps ErrInvalidPredicate.
var (
	ErrBuildDefinitionRequired = fmt.Errorf("%w: provenance: buildDefinition is required", ErrInvalidPredicate)
	ErrBuildTypeRequired       = fmt.Errorf("%w: provenance: buildDefinition.buildType is required", ErrInvalidPredicate)
	ErrExternalParamsRequired  = fmt.Errorf("%w: provenance: buildDefinition.externalParameters is required", ErrInvalidPredicate)
	ErrRunDetailsRequired      = fmt.Errorf("%w: provenance: runDetails is required", ErrInvalidPredicate)
	ErrBuilderRequired         = fmt.Errorf("%w: provenance: runDetails.builder is required", ErrInvalidPredicate)
	ErrBuilderIDRequired       = fmt.Errorf("%w: provenance: runDetails.builder.id is required", ErrInvalidPredicate)
	ErrTimeOrder               = fmt.Errorf("%w: provenance: finishedOn is before startedOn", ErrInvalidPredicate)
	// ErrProvenanceSources: two places of the provenance (externalParameters
	// source or workflow, resolvedDependencies[0]) name different sources,
	// which verify.ReadProvenance refuses (a *verify.ProvenanceMismatchError
	// with Field "source"), so every deploy gated on it would be denied.
	ErrProvenanceSources = fmt.Errorf("%w: provenance: names two sources", ErrInvalidPredicate)
)

// Provenance is the SLSA provenance v1.0 predicate
// (https://slsa.dev/spec/v1.0/provenance), typed. Fill it from the job that
// ran and pass it to NewStatement; it validates itself on the way.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is the input of the build.
type BuildDefinition struct {
	// BuildType is a URI describing how to interpret the parameters. Required.
	BuildType string `json:"buildType"`
	// ExternalParameters are the parameters under the caller's control.
	// Required (it may be empty, but not nil).
	ExternalParameters map[string]any `json:"externalParameters"`
	// InternalParameters are set by the builder.
	InternalParameters map[string]any `json:"internalParameters,omitempty"`
	// ResolvedDependencies are the artifacts fetched during the build.
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// RunDetails describes the run that executed the build.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Metadata   *BuildMetadata       `json:"metadata,omitempty"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder identifies the build platform. ID is required.
type Builder struct {
	ID                  string               `json:"id"`
	Version             map[string]string    `json:"version,omitempty"`
	BuilderDependencies []ResourceDescriptor `json:"builderDependencies,omitempty"`
}

// BuildMetadata is optional metadata of the run.
type BuildMetadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// PredicateType returns PredicateSLSAProvenanceV1.
func (p *Provenance) PredicateType() string { return PredicateSLSAProvenanceV1 }

// PredicateJSON validates p and returns its JSON. Times are written in UTC.
// The JSON is refused with ErrProvenanceSources where it names two sources
// (see ErrProvenanceSources): what is signed is what verify reads.
func (p *Provenance) PredicateJSON() (json.RawMessage, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	q := *p
	if m := p.RunDetails.Metadata; m != nil {
		mc := *m
		if mc.StartedOn != nil {
			t := mc.StartedOn.UTC()
			mc.StartedOn = &t
		}
		if mc.FinishedOn != nil {
			t := mc.FinishedOn.UTC()
			mc.FinishedOn = &t
		}
		q.RunDetails.Metadata = &mc
	}
	b, err := marshalPredicate(&q)
	if err != nil {
		return nil, err
	}
	if err := checkSources(b); err != nil {
		return nil, err
	}
	return b, nil
}

// checkSources refuses a provenance predicate that names two sources, by
// verify's own reading (internal/slsasource) of the bytes to be signed:
// Validate sees the typed fields, and a caller-filled BuildDefinition can
// name one source in externalParameters and another in its first
// resolved dependency.
func checkSources(b []byte) error {
	var sp slsasource.Predicate
	if err := json.Unmarshal(b, &sp); err != nil {
		return fmt.Errorf("%w: provenance: %w", ErrInvalidPredicate, err)
	}
	if _, err := slsasource.Of(&sp); err != nil {
		return fmt.Errorf("%w: %w", ErrProvenanceSources, err)
	}
	return nil
}

// Validate applies the SLSA provenance v1 rules of the upstream library: a
// buildDefinition with buildType and externalParameters, a runDetails with a
// builder that has an id. Empty objects count as missing (in-toto parsing
// rules: unset, null and empty are equivalent). Descriptors must be valid and
// finishedOn must not precede startedOn.
func (p *Provenance) Validate() error {
	if p == nil {
		return ErrBuildDefinitionRequired
	}
	bd := &p.BuildDefinition
	if bd.BuildType == "" && bd.ExternalParameters == nil && len(bd.InternalParameters) == 0 && len(bd.ResolvedDependencies) == 0 {
		return ErrBuildDefinitionRequired
	}
	if bd.BuildType == "" {
		return ErrBuildTypeRequired
	}
	if bd.ExternalParameters == nil {
		return ErrExternalParamsRequired
	}
	rd := &p.RunDetails
	b := &rd.Builder
	builderEmpty := b.ID == "" && len(b.Version) == 0 && len(b.BuilderDependencies) == 0
	if builderEmpty && rd.Metadata == nil && len(rd.Byproducts) == 0 {
		return ErrRunDetailsRequired
	}
	if builderEmpty {
		return ErrBuilderRequired
	}
	if b.ID == "" {
		return ErrBuilderIDRequired
	}
	for _, list := range [][]ResourceDescriptor{bd.ResolvedDependencies, b.BuilderDependencies, rd.Byproducts} {
		for i := range list {
			if err := list[i].Validate(); err != nil {
				return fmt.Errorf("%w: provenance: %w", ErrInvalidPredicate, err)
			}
		}
	}
	if m := rd.Metadata; m != nil && m.StartedOn != nil && m.FinishedOn != nil && m.FinishedOn.Before(*m.StartedOn) {
		return ErrTimeOrder
	}
	return nil
}

// provenanceSchema is the member names of the predicate, which
// ParseProvenance decodes into Provenance with encoding/json; built on
// first use, not when a program that never parses provenance starts.
var provenanceSchema = sync.OnceValue(func() *strictjson.Schema { return strictjson.SchemaOf(reflect.TypeFor[Provenance]()) })

// ParseProvenance parses and validates a SLSA provenance v1 predicate with
// the same strictness as ParseStatement (no duplicate keys), and refuses
// one that names two sources ([ErrProvenanceSources]), as verify does.
// A member of the predicate's own objects spelt in another case ("ID" in
// runDetails.builder, "reſolvedDependencies") is refused with
// [ErrMalformedJSON] wrapping a *strictjson.MemberError that names it:
// encoding/json would read it as the real member, where the specification,
// a policy reading the predicate and verify (which refuses it) do not.
// Free-form members (externalParameters, internalParameters, annotations,
// builder.version) keep their names as written.
func ParseProvenance(b []byte) (*Provenance, error) {
	if err := checkObject(b); err != nil {
		return nil, err
	}
	// checkObject validated b; the schema walk needs no second pass.
	if err := provenanceSchema().CheckUnvalidated(b); err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrPredicateNotJSON, ErrMalformedJSON, err)
	}
	// One reading of the source, verify's: a provenance naming two is
	// refused here as verify.ReadProvenance and the writer refuse it.
	if err := checkSources(b); err != nil {
		return nil, err
	}
	var p Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: provenance: %w", ErrInvalidPredicate, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}
